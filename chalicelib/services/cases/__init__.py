"""Cases (*pratiche*) for officers: register, read, list, act on them, and the inbox; with their ports."""
