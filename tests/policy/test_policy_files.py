"""Policy as data: the shipped rules, user and workspace files refining them, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cockpit.errors import CockpitError
from cockpit.policy.loader import load_policy, user_policy_file
from cockpit.policy.risk import classify, policy_version


def _user_file(text: str) -> Path:
    path = user_policy_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _workspace_file(ws: Path, text: str) -> Path:
    path = ws / ".cockpit" / "policy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_default_policy_has_a_stable_version(tmp_path: Path) -> None:
    first = policy_version(tmp_path)
    assert len(first) == 16 and int(first, 16) >= 0
    assert policy_version(tmp_path) == first
    assert classify("bash", {"command": "ls"}, tmp_path).policy_version == first


def test_user_file_overrides_a_rule_and_changes_the_version(tmp_path: Path) -> None:
    before = policy_version(tmp_path)
    assert classify("bash", {"command": "curl https://example.com/x.csv"}, tmp_path).tier == "high"
    _user_file('[[rule]]\nid = "network"\ntier = "medium"\n')
    after = classify("bash", {"command": "curl https://example.com/x.csv"}, tmp_path)
    assert after.tier == "medium"
    assert after.policy_version != before
    # Only the given key changed: the rule still matches network facts only.
    assert classify("bash", {"command": "ls"}, tmp_path).tier == "low"


def test_a_rule_can_be_disabled_and_a_workspace_rule_added(tmp_path: Path) -> None:
    _user_file('[[rule]]\nid = "network-probe"\nenabled = false\n')
    assert classify("bash", {"command": "ping -c 1 db"}, tmp_path).tier == "low"
    _workspace_file(
        tmp_path,
        '[[rule]]\nid = "no-deploys"\nfact = "command"\ncommand = ["make deploy*"]\n'
        'tier = "critical"\nreason = "deploys from the agent are forbidden ({command})"\n',
    )
    got = classify("bash", {"command": "make deploy-prod"}, tmp_path)
    assert got.tier == "critical" and "no-deploys" in got.rules
    assert "deploys from the agent are forbidden (make deploy-prod)" in got.reasons
    assert classify("bash", {"command": "make test"}, tmp_path).tier == "medium"


def test_path_classes_can_be_extended(tmp_path: Path) -> None:
    assert classify("read_file", {"path": "conf/db.ini"}, tmp_path).tier == "low"
    _workspace_file(tmp_path, '[paths.secret]\nadd = ["**/conf/db.ini"]\n')
    assert classify("read_file", {"path": "conf/db.ini"}, tmp_path).tier == "high"
    # The shipped globs are kept.
    assert classify("read_file", {"path": ".env"}, tmp_path).tier == "high"


def test_writing_the_policy_itself_is_critical(tmp_path: Path) -> None:
    got = classify("write_file", {"path": ".cockpit/policy.toml", "content": ""}, tmp_path)
    assert got.tier == "critical" and "write-policy" in got.rules
    command = f"echo '[[rule]]' >> {user_policy_file()}"
    assert classify("bash", {"command": command}, tmp_path).tier == "critical"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[rule]\n", "not valid TOML"),
        ('[[rule]]\nid = "x"\ntier = "high"\n', "rule 'x': key 'reason' is missing"),
        ('[[rule]]\nid = "x"\ntier = "severe"\nreason = "r"\n', "rule 'x': key 'tier' must be"),
        ('[[rule]]\nid = "network"\ntierr = "low"\n', "rule 'network': key 'tierr' is unknown"),
        ('[[rule]]\ntier = "low"\nreason = "r"\n', "rule #1: key 'id'"),
        ('[[rule]]\nid = "x"\nfact = "files"\ntier = "low"\nreason = "r"\n', "unknown fact kind"),
        ('[[rule]]\nid = "x"\ntier = "low"\nreason = "{oops}"\n', "unknown placeholder {oops}"),
        ('[[rule]]\nid = "x"\nwhere = "nowhere"\ntier = "low"\nreason = "r"\n', "key 'where'"),
        ('[[rule]]\nid = "network"\nrecursive = "yes"\n', "key 'recursive' must be true or false"),
        ('[[rule]]\nid = "x"\npath_class = ["nope"]\ntier = "low"\nreason = "r"\n', "'nope'"),
        ("[paths.secret]\nglob = []\n", "path class 'secret': key 'glob' is unknown"),
        ("surprise = 1\n", "unknown top-level key 'surprise'"),
    ],
)
def test_malformed_policy_names_the_file_rule_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _user_file(text)
    with pytest.raises(CockpitError) as err:
        load_policy(tmp_path)
    assert expected in str(err.value)
    if "path_class" not in text:
        assert str(path) in str(err.value)
    assert err.value.exit_code == 2


def test_a_changed_file_is_reloaded(tmp_path: Path) -> None:
    path = _user_file('[[rule]]\nid = "network"\ntier = "medium"\n')
    assert classify("bash", {"command": "curl https://x"}, tmp_path).tier == "medium"
    path.write_text('[[rule]]\nid = "network"\ntier = "critical"\n')
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert classify("bash", {"command": "curl https://x"}, tmp_path).tier == "critical"
