"""Settings: environment variables and a TOML file in the user config folder."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cockpit.atomic import write_atomically
from cockpit.defaults import DEFAULT_MODEL
from cockpit.errors import CockpitError
from cockpit.folders import CHECKOUT_DIR, config_file, default_sessions_dir

__all__ = [
    "CHECKOUT_DIR",
    "DEFAULT_MODEL",
    "Settings",
    "config_file",
    "default_sessions_dir",
    "load_settings",
    "save_setting",
]


class Settings(BaseSettings):
    """Cockpit settings. Environment variables win over the config file."""

    model_config = SettingsConfigDict(env_prefix="COCKPIT_", extra="ignore")

    sessions_dir: Path | None = None
    model: str = DEFAULT_MODEL
    theme: str = "cockpit-dark"
    max_tokens: int = 8192
    # Scripted-model pacing multiplier: 1.0 = scenario pacing, 0 = as fast as possible.
    speed: float = Field(default=1.0, ge=0, le=100, allow_inf_nan=False)
    # Seconds an approval request waits in the cockpit before it is denied; 0 = wait forever.
    approval_timeout: float = Field(default=0, ge=0, allow_inf_nan=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, toml)

    def resolved_sessions_dir(self) -> Path:
        return self.sessions_dir if self.sessions_dir is not None else default_sessions_dir()


def load_settings(**overrides: Any) -> Settings:
    """Settings from the config file, then the environment, then explicit overrides (CLI flags)."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first.get("loc", ())) or "a setting"
        raise CockpitError(
            f"The setting '{key}' (COCKPIT_{key.upper()} or `{key}` in {config_file()}) is "
            f"invalid: {first.get('msg', 'bad value')}; fix or remove it."
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CockpitError(
            f"The config file {config_file()} cannot be read ({exc}); fix or delete it."
        ) from None


def save_setting(key: str, value: str) -> None:
    """Persist one setting (e.g. theme) in the user config file, atomically.

    Every other key and table the user wrote is kept (comments are not: the file is
    rewritten by a TOML writer). A file that does not parse is left untouched.
    """
    import tomli_w

    path = config_file()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CockpitError(
                f"The config file {path} is not valid TOML ({exc}); fix or delete it, "
                f"then set {key} again."
            ) from None
    data[key] = value
    # A new config file is private to the user (it may name endpoints and keys).
    write_atomically(path, tomli_w.dumps(data).encode("utf-8"), None if path.exists() else 0o600)
