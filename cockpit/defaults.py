"""Defaults needed on fast paths (the TUI's first paint): plain constants, no imports."""

# claude-sonnet-4-5 reaches end of life on 2026-11-30 (the SDK warns); its successor is default.
DEFAULT_MODEL = "claude-sonnet-4-6"

# Tokens in the context window of every current Claude model (1M is an opt-in beta).
CONTEXT_WINDOW = 200_000

# The scripted sessions `cockpit demo` runs.
DEMO_SCENARIOS = ("ingestion-failure", "schema-drift", "rogue-action")
