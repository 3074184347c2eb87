"""Policy files: the shipped default.toml, then the user's, then the workspace's, merged."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError
from cockpit.policy.facts import KINDS
from cockpit.policy.rules import (
    BOOL_KEYS,
    INT_KEYS,
    LIST_KEYS,
    RULE_KEYS,
    TEMPLATE_FIELDS,
    TIERS,
    WHERE_VALUES,
    PathClass,
    Policy,
    Rule,
)

WORKSPACE_FILE = Path(".cockpit") / "policy.toml"
USER_FILE_NAME = "policy.toml"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

_cache: dict[tuple[Any, ...], Policy] = {}


def user_policy_file() -> Path:
    from cockpit.folders import config_dir

    return config_dir() / USER_FILE_NAME


def policy_files(workspace: Path | None) -> list[Path]:
    """The files that make the policy, in order (those that exist)."""
    files = [user_policy_file()]
    if workspace is not None:
        files.append(Path(workspace) / WORKSPACE_FILE)
    return [f for f in files if f.is_file()]


def load_policy(workspace: Path | None = None) -> Policy:
    """The merged policy for `workspace` (cached until one of its files changes)."""
    files = policy_files(workspace)
    key: list[Any] = [str(workspace) if workspace else ""]
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        key.append((str(f), st.st_mtime_ns, st.st_size))
    home = str(Path.home())
    key.append(home)
    cache_key = tuple(key)
    policy = _cache.get(cache_key)
    if policy is None:
        if len(_cache) > 32:
            _cache.clear()
        policy = build_policy(files, home)
        _cache[cache_key] = policy
    return policy


def build_policy(files: list[Path], home: str) -> Policy:
    default_text = resources.files("cockpit.policy").joinpath("default.toml").read_text("utf-8")
    rules: dict[str, Rule] = {}
    classes: dict[str, PathClass] = {}
    sources = ["default.toml"]
    _apply(rules, classes, "default.toml (shipped)", default_text)
    for f in files:
        try:
            text = f.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CockpitError(f"policy file {f}: cannot be read ({exc})") from exc
        _apply(rules, classes, str(f), text)
        sources.append(str(f))
    # The files that make the policy are protected by it too.
    protected = classes.get("cockpit-policy", PathClass())
    extra = tuple(str(p) for p in (user_policy_file(), user_policy_file().with_name("config.toml")))
    classes["cockpit-policy"] = replace(protected, globs=protected.globs + extra)
    for rule in rules.values():
        for name in (*rule.path_class, *rule.not_path_class):
            if name not in classes:
                raise CockpitError(
                    f"policy: rule '{rule.id}': key 'path_class': unknown path class '{name}' "
                    f"(known: {', '.join(sorted(classes))})"
                )
    return Policy(tuple(rules.values()), classes, home, tuple(sources))


def _apply(rules: dict[str, Rule], classes: dict[str, PathClass], name: str, text: str) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CockpitError(f"policy file {name}: not valid TOML ({exc})") from exc
    for key in data:
        if key not in ("rule", "paths", "policy"):
            raise CockpitError(
                f"policy file {name}: unknown top-level key '{key}' "
                "(expected [[rule]], [paths.*] or [policy])"
            )
    paths = data.get("paths", {})
    if not isinstance(paths, dict):
        raise CockpitError(f"policy file {name}: key 'paths' must be a table of path classes")
    for cname, spec in paths.items():
        classes[cname] = _path_class(name, cname, spec, classes.get(cname))
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        raise CockpitError(f"policy file {name}: key 'rule' must be an array of tables ([[rule]])")
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise CockpitError(f"policy file {name}: rule #{index} is not a table")
        rule_id = entry.get("id")
        label = f"rule '{rule_id}'" if isinstance(rule_id, str) else f"rule #{index}"
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            raise CockpitError(
                f"policy file {name}: {label}: key 'id': every rule needs an id "
                "(letters, digits, - _ . :)"
            )
        values = {k: _value(name, label, k, v) for k, v in entry.items()}
        base = rules.get(rule_id)
        if base is None:
            for required in ("tier", "reason"):
                if required not in values and values.get("enabled", True):
                    raise CockpitError(
                        f"policy file {name}: {label}: key '{required}' is missing "
                        "(a new rule needs a tier and a reason)"
                    )
            rules[rule_id] = Rule(**values)
        else:
            rules[rule_id] = replace(base, **values)


def _value(name: str, label: str, key: str, value: Any) -> Any:
    where = f"policy file {name}: {label}: key '{key}'"
    if key not in RULE_KEYS:
        raise CockpitError(f"{where} is unknown (known keys: {', '.join(sorted(RULE_KEYS))})")
    if key == "id":
        return value
    if key == "tier":
        if value not in TIERS:
            raise CockpitError(f"{where} must be one of {', '.join(TIERS)} (got {value!r})")
        return value
    if key == "reason":
        if not isinstance(value, str) or not value.strip():
            raise CockpitError(f"{where} must be a non-empty string")
        for field_name in _PLACEHOLDER.findall(value):
            if field_name not in TEMPLATE_FIELDS:
                raise CockpitError(
                    f"{where}: unknown placeholder {{{field_name}}} "
                    f"(known: {', '.join(sorted(TEMPLATE_FIELDS))})"
                )
        return value
    if key in BOOL_KEYS:
        if not isinstance(value, bool):
            raise CockpitError(f"{where} must be true or false (got {value!r})")
        return value
    if key in INT_KEYS:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CockpitError(f"{where} must be a whole number >= 0 (got {value!r})")
        return value
    if key in LIST_KEYS:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise CockpitError(f"{where} must be a string or a list of non-empty strings")
        if key == "fact":
            bad = [i for i in items if i not in KINDS]
            if bad:
                raise CockpitError(
                    f"{where}: unknown fact kind {bad[0]!r} (known: {', '.join(KINDS)})"
                )
        if key == "where":
            bad = [i for i in items if i not in WHERE_VALUES]
            if bad:
                raise CockpitError(f"{where} must name {', '.join(WHERE_VALUES)} (got {bad[0]!r})")
        return tuple(items)
    raise CockpitError(f"{where} is not supported")  # pragma: no cover


def _path_class(name: str, cname: str, spec: Any, base: PathClass | None) -> PathClass:
    where = f"policy file {name}: path class '{cname}'"
    if not isinstance(spec, dict):
        raise CockpitError(f"{where} must be a table with 'globs' (and optionally 'add', 'except')")
    for key in spec:
        if key not in ("globs", "add", "except"):
            raise CockpitError(f"{where}: key '{key}' is unknown (use globs, add or except)")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("globs", "add", "except"):
        value = spec.get(key, [])
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise CockpitError(f"{where}: key '{key}' must be a list of path globs")
        lists[key] = tuple(items)
    globs = lists["globs"] if "globs" in spec else (base.globs if base else ())
    exclude = (base.exclude if base and "except" not in spec else ()) + lists["except"]
    return PathClass(globs + lists["add"], exclude)


def clear_cache() -> None:
    _cache.clear()
