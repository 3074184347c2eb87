"""Risk classification and the approval gate: pure, no UI."""
