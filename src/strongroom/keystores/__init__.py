"""Where key material lives: the default store wraps it under the root key."""
