"""Background jobs: due automatic rotations and deletions at the end of their window."""
