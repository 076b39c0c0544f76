"""The HTTP edge: the AWS JSON 1.1 protocol, SigV4 authentication and error mapping."""
