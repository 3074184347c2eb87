"""AI-health metrics and the watchdog: pure functions over events."""
