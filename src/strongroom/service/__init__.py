"""The KMS operations: one function per operation, no HTTP and no SQL."""
