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
    monkeypatch.delenv("COCKPIT_DATA_DIR")
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


USER_CONFIG = """\
model = "claude-opus-4-1"
speed = 0.5
max_tokens = 4096
fast = true
when = 2026-12-01T10:00:00Z
tags = ["a", "b"]

[extra]
x = 1
nested = { deep = [1, 2.5, "three"] }

[extra.more]
flag = false
"""


def test_saving_a_setting_keeps_every_key_and_table_the_user_wrote() -> None:
    import tomllib

    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(USER_CONFIG, encoding="utf-8")
    before = tomllib.loads(USER_CONFIG)
    save_setting("theme", "cockpit-light")
    after = tomllib.loads(config_file().read_text(encoding="utf-8"))
    assert after == {**before, "theme": "cockpit-light"}
    assert isinstance(after["extra"], dict) and after["extra"]["x"] == 1
    save_setting("theme", "cockpit-dark")  # an existing key is updated in place
    assert tomllib.loads(config_file().read_text(encoding="utf-8"))["theme"] == "cockpit-dark"


def test_a_malformed_config_file_is_never_overwritten_by_a_save() -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_bytes(b"theme = [unclosed\n[extra]\nx = 1\n")
    before = config_file().read_bytes()
    with pytest.raises(CockpitError, match="not valid TOML"):
        save_setting("theme", "cockpit-light")
    assert config_file().read_bytes() == before


def test_a_crash_while_writing_leaves_the_old_file_and_no_temp_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text(USER_CONFIG, encoding="utf-8")

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save_setting("theme", "cockpit-light")
    assert config_file().read_text(encoding="utf-8") == USER_CONFIG
    assert sorted(p.name for p in config_file().parent.iterdir()) == ["config.toml"]


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e9"])
def test_a_bad_speed_setting_is_one_sentence(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("COCKPIT_SPEED", value)
    with pytest.raises(CockpitError) as caught:
        load_settings()
    message = str(caught.value)
    assert "'speed'" in message and "\n" not in message


def test_a_config_file_that_is_not_utf8_is_one_sentence() -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_bytes(b'theme = "\xff\xfe"\n')
    with pytest.raises(CockpitError, match="cannot be read"):
        load_settings()


@pytest.mark.parametrize("speed", ["inf", "nan", "-2"])
def test_the_speed_flag_refuses_what_is_not_a_finite_pace(speed: str) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "cockpit", "run", "--scenario", "loop", "--speed", speed],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "--speed" in proc.stderr
