"""A local stand-in for the messaging platform: same HTTP API, real validation, an outbox file."""
