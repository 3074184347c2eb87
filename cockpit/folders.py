"""Where Cockpit keeps things: the user's config, themes and data folders, and session files.

Cheap to import (platformdirs is imported only when a folder is asked for): the cockpit's
start-up path reads the saved theme through it.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "cockpit"
PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


def config_dir() -> Path:
    """The user config folder (overridable with COCKPIT_CONFIG_DIR, as tests do)."""
    override = os.environ.get("COCKPIT_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"


def themes_dir() -> Path:
    """Where users drop their own theme files (next to config.toml)."""
    return config_dir() / "themes"


def data_dir() -> Path:
    """The user data folder (overridable with COCKPIT_DATA_DIR)."""
    override = os.environ.get("COCKPIT_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def inside_checkout(cwd: Path) -> bool:
    """True when running from inside the project's own checkout (as `make demo` does)."""
    if not (CHECKOUT_DIR / "pyproject.toml").is_file():
        return False
    try:
        cwd.resolve().relative_to(CHECKOUT_DIR)
    except ValueError:
        return False
    return True


def default_sessions_dir() -> Path:
    """./sessions/ inside the checkout, the user data folder otherwise."""
    if inside_checkout(Path.cwd()):
        return CHECKOUT_DIR / "sessions"
    return data_dir() / "sessions"
