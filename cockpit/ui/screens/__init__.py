"""Screens of the cockpit: main, approval, help, new session."""
