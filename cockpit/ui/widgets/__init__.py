"""Widgets of the cockpit, one per file, named for what they show."""
