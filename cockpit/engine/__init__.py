"""The agent engine: the loop, its tools and the session controller. No UI, no SQL."""
