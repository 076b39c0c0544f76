"""Pure cryptographic recipes: the ciphertext blob, wrapping at rest, encryption context encoding.

Nothing here does I/O or reads the clock; randomness is a parameter wherever a
test needs to fix it.
"""
