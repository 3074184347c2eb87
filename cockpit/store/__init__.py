"""The session file: aiosqlite schema, batched writer, audit chain, redaction, export."""
