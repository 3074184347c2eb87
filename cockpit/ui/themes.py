"""Colour themes: TOML files in themes/ (and the user's config folder) loaded as Textual themes."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from textual.theme import Theme

from cockpit.folders import config_file, themes_dir

DEFAULT_THEME = "cockpit-dark"
BUILTIN_THEMES_DIR = Path(__file__).resolve().parents[2] / "themes"
_FIELDS = {
    "name",
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "dark",
    "luminosity_spread",
    "text_alpha",
    "variables",
}


class ThemeFileError(ValueError):
    """A theme file that cannot be loaded; the message names the file and the key."""


def user_themes_dir() -> Path:
    """Where users drop their own theme files (next to config.toml)."""
    return themes_dir()


def saved_theme() -> str:
    """The remembered theme: COCKPIT_THEME, then `theme` in config.toml, then the default.

    Read without pydantic-settings (`load_settings()` would add ~0.2 s to the first paint),
    with the same sources and precedence.
    """
    env = os.environ.get("COCKPIT_THEME")
    if env:
        return env
    try:
        data = tomllib.loads(config_file().read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return DEFAULT_THEME
    theme = data.get("theme")
    return theme if isinstance(theme, str) and theme else DEFAULT_THEME


def theme_from_toml(path: Path) -> Theme:
    """Load one theme file."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThemeFileError(f"{path}: {exc}") from None
    unknown = set(data) - _FIELDS
    if unknown:
        raise ThemeFileError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    if "primary" not in data:
        raise ThemeFileError(f"{path}: 'primary' is required")
    data.setdefault("name", path.stem)
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{path}: [variables] must be a table")
    data["variables"] = {str(k): str(v) for k, v in variables.items()}
    return Theme(**data)


def load_themes(*folders: Path) -> dict[str, Theme]:
    """Every theme in the shipped folder, then the user folder (a user file may override)."""
    themes: dict[str, Theme] = {}
    for folder in folders or (BUILTIN_THEMES_DIR, user_themes_dir()):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except (ThemeFileError, TypeError, ValueError):
                continue
            themes[theme.name] = theme
    return themes
