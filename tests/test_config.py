"""Settings: where session files go, the config file, and bad config."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from cockpit.config import CHECKOUT_DIR, config_file, load_settings, save_setting
from cockpit.errors import CockpitError


def test_sessions_dir_inside_and_outside_the_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("COCKPIT_SESSIONS_DIR")
    monkeypatch.chdir(CHECKOUT_DIR / "cockpit")
    assert load_settings().resolved_sessions_dir() == CHECKOUT_DIR / "sessions"
    monkeypatch.chdir(tmp_path)
    expected = Path(platformdirs.user_data_dir("cockpit")) / "sessions"
    assert load_settings().resolved_sessions_dir() == expected


def test_environment_and_flags_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COCKPIT_SESSIONS_DIR", str(tmp_path / "env"))
    assert load_settings().resolved_sessions_dir() == tmp_path / "env"
    assert (
        load_settings(sessions_dir=tmp_path / "flag").resolved_sessions_dir() == tmp_path / "flag"
    )


def test_saved_setting_is_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCKPIT_THEME", raising=False)
    save_setting("theme", "cockpit-light")
    assert load_settings().theme == "cockpit-light"
    assert 'theme = "cockpit-light"' in config_file().read_text()


def test_malformed_config_file_is_one_clear_error() -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text("theme = [unclosed\n")
    with pytest.raises(CockpitError, match="config file"):
        load_settings()
