"""User-facing errors: one clear sentence, an exit status, never a traceback."""

from __future__ import annotations


class CockpitError(Exception):
    """An error caused by the user's input or environment; shown as one message."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
