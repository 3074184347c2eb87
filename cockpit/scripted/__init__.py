"""An embedded, offline scripted Claude speaking the Messages API over loopback."""
