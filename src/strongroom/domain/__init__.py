"""Domain values shared by the service and the store: plain frozen dataclasses, no I/O."""
