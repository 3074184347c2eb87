"""Cockpit: a terminal cockpit for supervising long-running Claude agents."""

__version__ = "0.1.0"
