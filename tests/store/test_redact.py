"""Secrets are redacted before storage: every kind, in plain text and inside stored JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.store.redact import Redactor, redact
from cockpit.store.session_file import SessionStore

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)
ANTHROPIC = "sk-ant-api03-Zx9_abcdefGHIJKLmnopQRSTuvwx-1234567890AA"
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GH_CLASSIC = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
GH_FINE = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"
GH_OAUTH = "gho_16C7e42F292c6912E7710c838347Ae178B4a"
BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.s3cr3tSig"

CASES = [
    (f"key is {ANTHROPIC} ok", ANTHROPIC, "anthropic-key"),
    (f"export AWS_ACCESS_KEY_ID={AWS_ID}", AWS_ID, "aws-access-key"),
    (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET, "secret"),
    # The credentials CSV and tabbed output: the secret follows the id with no keyword.
    (f"User,Access key ID,Secret\nci,{AWS_ID},{AWS_SECRET}\n", AWS_SECRET, "aws-access-key"),
    (f"{AWS_ID}\t{AWS_SECRET}", AWS_SECRET, "aws-access-key"),
    (f"git clone https://{GH_CLASSIC}@github.com/x/y", GH_CLASSIC, "github-token"),
    (f"GITHUB_TOKEN: {GH_FINE}", GH_FINE, "github-token"),
    (f"oauth {GH_OAUTH}", GH_OAUTH, "github-token"),
    ("db api_key=0a1b2c3d4e5f", "0a1b2c3d4e5f", "secret"),
    ("token: hunter2hunter2", "hunter2hunter2", "secret"),
    ('password="Tr0ub4dor&3"', "Tr0ub4dor", "secret"),
    ("PGPASSWORD=s3cretpw psql", "s3cretpw", "secret"),
    (f"curl -H 'Authorization: Bearer {BEARER}'", BEARER, "bearer-token"),
    (f"key:\n{PEM}\nafter", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMx", "private-key"),
]


@pytest.mark.parametrize(("text", "secret", "label"), CASES)
def test_redacts_plain_text(text: str, secret: str, label: str) -> None:
    out = redact(text)
    assert secret not in out
    assert f"[REDACTED:{label}]" in out


def test_keeps_names_and_ordinary_text() -> None:
    assert redact("AWS_SECRET_ACCESS_KEY=abcdef123") == "AWS_SECRET_ACCESS_KEY=[REDACTED:secret]"
    assert redact(f"api_key: {ANTHROPIC}") == "api_key: [REDACTED:anthropic-key]"
    assert redact(f"key:\n{PEM}\nafter") == "key:\n[REDACTED:private-key]\nafter"
    assert redact("Authorization: Bearer abcdefgh12345") == (
        "Authorization: Bearer [REDACTED:bearer-token]"
    )
    plain = "max_tokens=8192, tokens: 512, password: true, the token bucket refills, Asia"
    assert redact(plain) == plain
    assert redact("") == ""


def test_truncated_private_key() -> None:
    out = redact("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA")
    assert "b3BlbnNz" not in out and "[REDACTED:private-key]" in out


def test_environment_values() -> None:
    r = Redactor.from_environ(
        {
            "MY_SERVICE_TOKEN": 'Zq8#value-with"quote',
            "DB_PASSWD": "correcthorse",
            "SHORT_KEY": "abc",  # too short to be treated as a secret
            "HOME": "/root/homedir",  # name is not secret-looking
        }
    )
    assert r.redact('x Zq8#value-with"quote y') == "x [REDACTED:env-secret] y"
    assert r.redact("pw is CorrectHorse!") == "pw is [REDACTED:env-secret]!"
    assert r.redact("abc /root/homedir") == "abc /root/homedir"
    # inside JSON the quote is escaped; the escaped form is found too and JSON stays valid
    data = ev.canonical_json(ev.ToolOutput(tool_use_id="t", text='got Zq8#value-with"quote'))
    out = r.redact_json(data)
    assert out is not None and b"Zq8" not in out
    assert json.loads(out)["text"] == "got [REDACTED:env-secret]"


def test_json_stays_valid_for_every_case() -> None:
    r = Redactor()
    for text, secret, _label in CASES:
        for event in (
            ev.ToolOutput(tool_use_id="t", text=text),
            ev.ToolCallProposed(
                turn=1, tool_use_id="t", name="bash", input={"command": text, "api_key": secret}
            ),
        ):
            data = ev.canonical_json(event)
            out = r.redact_json(data)
            assert out is not None
            assert secret.encode() not in out
            ev.parse_event(out)  # still a valid event


async def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    store = await SessionStore.create(path)
    secrets = [secret for _text, secret, _label in CASES]
    for text, _secret, _label in CASES:
        out = store.append(ev.ToolOutput(tool_use_id="t", text=text))
        assert "[REDACTED:" in out.text  # what the UI draws is redacted too
    store.append(
        ev.ToolCallProposed(
            turn=1,
            tool_use_id="t",
            name="http",
            input={"headers": {"x-api-key": ANTHROPIC}, "nested": [{"password": "hunter22"}]},
        )
    )
    store.append(ev.ToolFinished(tool_use_id="t", name="bash", content=PEM))
    await store.memory.write("/memories/creds.md", f"remember {GH_CLASSIC}")
    # As the engine does after every memory call: chain what the memory now holds.
    store.append(
        ev.MemoryOp(command="create", path="/memories/creds.md", state=await store.memory.digest())
    )
    await store.flush()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("s.cockpit"))
    await store.close()
    raw += path.read_bytes()
    for secret in [*secrets, "hunter22", "MIIEowIBAAKCAQEAu1SU1Lf"]:
        assert secret.encode() not in raw, secret
    events = []
    store = await SessionStore.open(path, readonly=True)
    events = [e async for e in store.iter_events()]
    assert (await store.verify()).ok
    await store.close()
    assert len(events) == len(CASES) + 3  # the outputs, the tool result, the memory op


def test_env_secret_present_at_process_start_is_never_stored(tmp_path: Path) -> None:
    """The real default redactor, in a fresh process whose environment holds a secret."""
    value = "s3ssion-Secret-Value-42"
    script = textwrap.dedent(
        """
        import asyncio, sys
        from pathlib import Path
        from cockpit import events as ev
        from cockpit.store.session_file import SessionStore

        async def main() -> None:
            store = await SessionStore.create(Path(sys.argv[1]))
            e = store.append(ev.ToolOutput(tool_use_id="t", text="echo " + sys.argv[2]))
            print(e.text)
            await store.close()

        asyncio.run(main())
        """
    )
    path = tmp_path / "env.cockpit"
    env = {**os.environ, "ACME_DEPLOY_TOKEN": value}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path), value],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "echo [REDACTED:env-secret]"
    assert value.encode() not in path.read_bytes()


SECRETS_MISSED_BEFORE = {
    "jwt": "auth eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3",
    "url-password": "DATABASE_URL=postgres://loader:Sup3rS3cretPw@db.internal:5432/wh",
    "url-password-https": "fetching https://deploy:pa55w0rd-x1@git.example.com/repo.git",
    "mysql-password": "mysql -u root -pHunter2Pass warehouse",
    "pgp": "-----BEGIN PGP PRIVATE KEY BLOCK-----\\nlQOYBF0\\n-----END PGP PRIVATE KEY BLOCK-----",
    "slack": "hook xoxb-123456789012-abcdefghijklmnop",
    "stripe": "charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "google": "maps key AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
}


@pytest.mark.parametrize("name", sorted(SECRETS_MISSED_BEFORE))
def test_more_kinds_of_secret_are_redacted(name: str) -> None:
    text = SECRETS_MISSED_BEFORE[name]
    out = Redactor().redact(text)
    assert "[REDACTED:" in out, out
    for secret in ("Sup3rS3cretPw", "pa55w0rd-x1", "Hunter2Pass", "lQOYBF0", "4eC39Hq"):
        assert secret not in out


def test_ordinary_urls_and_flags_are_left_alone() -> None:
    for text in (
        "git clone https://github.com/org/repo",
        "curl http://localhost:8080/health at 12:30:45",
        "python -m pytest -p no:cacheprovider",
        "ssh-keygen -t ed25519 -C ci@example.com",
    ):
        assert Redactor().redact(text) == text


async def test_a_secret_printed_in_two_pieces_is_redacted_in_the_stored_output(
    tmp_path: Path,
) -> None:
    import asyncio

    from cockpit.engine.session import _OutputCoalescer

    store = await SessionStore.create(tmp_path / "s.cockpit")
    coalescer = _OutputCoalescer(
        lambda text, stream: store.append(ev.ToolOutput(tool_use_id="t", text=text))
    )
    coalescer.add("stdout", "loading rows\nkey=sk-ant-")
    await asyncio.sleep(0.25)  # a timed flush happens between the two pieces
    coalescer.add("stdout", "api03-abcdefghijklmnopqrstuvwx\ndone\n")
    coalescer.flush()
    stored = [e.text async for e in store.iter_events()]  # type: ignore[union-attr]
    await store.close()
    joined = "".join(stored)
    assert "abcdefghijklmnop" not in joined and "[REDACTED:" in joined
    assert joined.startswith("loading rows\n") and joined.endswith("done\n")
