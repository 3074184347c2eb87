"""Every event kind round-trips through a real session file; summary, filters, memory, blobs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.errors import CockpitError
from cockpit.store.session_file import SessionStore, _canonical, _stamp, read_summary

from .helpers import one_of_each


async def test_every_kind_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    store = await SessionStore.create(path, session_id="sess-1")
    stamped = [store.append(e) for e in one_of_each()]
    assert [e.seq for e in stamped] == list(range(1, len(stamped) + 1))
    assert all(e.session_id == "sess-1" for e in stamped)
    assert store.next_seq == len(stamped) + 1
    await store.close()

    store = await SessionStore.open(path)
    back = [e async for e in store.iter_events()]
    assert back == stamped
    assert store.next_seq == len(stamped) + 1
    # appending continues the sequence and the chain
    more = store.append(ev.UserMessage(text="again"))
    assert more.seq == len(stamped) + 1
    result = await store.verify()
    assert result.ok and result.checked == len(stamped) + 1
    await store.close()


def test_fast_stamp_equals_model_copy() -> None:
    for event in one_of_each():
        fast = _stamp(event, "sid", 7)
        slow = event.model_copy(update={"session_id": "sid", "seq": 7})
        assert fast == slow
        assert ev.canonical_json(fast) == ev.canonical_json(slow)
        assert fast.model_fields_set == slow.model_fields_set
        assert _canonical(fast) == ev.canonical_json(fast)  # the store's shortcut is canonical


async def test_range_and_kind_filters(tmp_path: Path) -> None:
    store = await SessionStore.create(tmp_path / "f.cockpit")
    for i in range(2500):
        store.append(ev.TextDelta(turn=i, block_index=0, text=f"t{i}"))
        if i % 100 == 0:
            store.append(ev.HealthSample(turn=i))
    await store.flush()
    seqs = [e.seq async for e in store.iter_events(100, 1600)]
    assert seqs == list(range(100, 1601))
    health = [e async for e in store.iter_events(kinds=["health_sample"])]
    assert len(health) == 25 and all(isinstance(e, ev.HealthSample) for e in health)
    assert [e async for e in store.iter_events(kinds=[])] == []
    late = [e.seq async for e in store.iter_events(2000, kinds={"text_delta", "health_sample"})]
    assert late[0] == 2000 and late == sorted(late)
    await store.close()


async def test_summary_kept_current(tmp_path: Path) -> None:
    path = tmp_path / "sum.cockpit"
    store = await SessionStore.create(path)
    events = one_of_each()
    by_kind = {type(e).__name__: e for e in events}
    store.append(by_kind["SessionStarted"])
    s = await store.summary()
    assert (s.title, s.goal, s.model, s.status) == (
        "Fix ingest",
        "Make the orders ingestion pass again",
        "claude-sonnet-4-5",
        "running",
    )
    store.append(by_kind["ApprovalRequested"])
    assert (await store.summary()).status == "waiting"
    assert (await read_summary(path)).status == "waiting"  # on disk, without reading events
    store.append(by_kind["ApprovalDecided"])
    assert (await store.summary()).status == "running"
    store.append(by_kind["ModelResponse"])
    store.append(by_kind["ModelResponse"])
    store.append(by_kind["Paused"])
    s = await store.summary()
    assert s.status == "paused"
    assert (s.input_tokens, s.output_tokens, s.cache_read_tokens) == (2000, 100, 400)
    assert s.cost_usd == pytest.approx(0.025)
    store.append(by_kind["Resumed"])
    last = store.append(ev.SessionEnded(status="failed", reason="gave up", turns=4))
    await store.close()
    s = await read_summary(path)
    assert s.status == "failed" and s.turns == 4 and s.event_count == 8
    assert s.last_activity == pytest.approx(last.ts) and s.last_seq == 8
    assert s.created > 0 and s.session_id == store.session_id


async def test_flush_is_durable_and_append_does_not_wait(tmp_path: Path) -> None:
    path = tmp_path / "d.cockpit"
    store = await SessionStore.create(path)
    for i in range(1000):
        store.append(ev.TextDelta(turn=0, block_index=0, text=str(i)))
    await store.flush()
    other = await SessionStore.open(path, readonly=True)  # a second connection sees it all
    assert (await other.summary()).event_count == 1000
    await other.close()
    await store.close()
    with pytest.raises(CockpitError):
        store.append(ev.UserMessage(text="late"))


async def test_readonly_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "ro.cockpit"
    store = await SessionStore.create(path)
    store.append(ev.UserMessage(text="x"))
    await store.close()
    ro = await SessionStore.open(path, readonly=True)
    with pytest.raises(CockpitError):
        ro.append(ev.UserMessage(text="y"))
    with pytest.raises(CockpitError):
        await ro.memory.write("/memories/a.md", "x")
    await ro.close()


async def test_memory_files(tmp_path: Path) -> None:
    store = await SessionStore.create(tmp_path / "m.cockpit")
    mem = store.memory
    assert await mem.read("/memories/a.md") is None
    await mem.write("/memories/a.md", "hello")
    await mem.write("/memories/dir/b.md", "bé")
    await mem.write("/memories/dir/c.md", "c")
    await mem.write("/memories/dirx.md", "not in dir")
    assert await mem.read("/memories/a.md") == "hello"
    assert await mem.list("/memories/dir") == [("/memories/dir/b.md", 3), ("/memories/dir/c.md", 1)]
    assert len(await mem.list("/memories")) == 4
    assert await mem.rename("/memories/a.md", "/memories/z.md")
    assert not await mem.rename("/memories/missing.md", "/memories/q.md")
    assert not await mem.rename("/memories/z.md", "/memories/dirx.md")  # target exists
    assert await mem.rename("/memories/dir", "/memories/moved")
    assert [p for p, _ in await mem.list("/memories/moved")] == [
        "/memories/moved/b.md",
        "/memories/moved/c.md",
    ]
    assert await mem.delete("/memories/moved")
    assert not await mem.delete("/memories/moved")
    assert await mem.delete("/memories/z.md")
    assert [p for p, _ in await mem.list("/")] == ["/memories/dirx.md"]
    await mem.write("/memories/k.md", "key: api_key=abcd1234efgh")
    assert "abcd1234efgh" not in (await mem.read("/memories/k.md") or "")
    await store.close()


async def test_blobs_are_content_addressed(tmp_path: Path) -> None:
    store = await SessionStore.create(tmp_path / "b.cockpit")
    data = b"col_a,col_b\n" * 1000
    sha = await store.put_blob(data)
    assert sha == await store.put_blob(data)  # dedup
    assert await store.get_blob(sha) == data
    small = await store.put_blob(b"x")
    assert await store.get_blob(small) == b"x"
    assert await store.get_blob("0" * 64) is None
    await store.close()


async def test_concurrent_appends_and_reads(tmp_path: Path) -> None:
    store = await SessionStore.create(tmp_path / "c.cockpit")

    async def producer() -> None:
        for i in range(2000):
            store.append(ev.TextDelta(turn=0, block_index=0, text=str(i)))
            if i % 50 == 0:
                await asyncio.sleep(0)

    async def reader() -> int:
        n = 0
        for _ in range(5):
            n = len([e async for e in store.iter_events()])
            await asyncio.sleep(0)
        return n

    await asyncio.gather(producer(), reader())
    assert len([e async for e in store.iter_events()]) == 2000
    assert (await store.verify()).ok
    await store.close()


async def test_writer_fallback_without_aiosqlite_internals(tmp_path: Path) -> None:
    """The batch commit also works through aiosqlite's public calls only."""
    from cockpit.store import session_file as sf

    store = await SessionStore.create(tmp_path / "fb.cockpit")
    real = store._writer_db
    assert real is not None

    class PublicOnly:
        def __getattr__(self, name: str) -> object:
            if name in ("_execute", "_connection"):
                raise AttributeError(name)
            return getattr(real, name)

    rows = [(1, "user_message", 1.0, ev.canonical_json(ev.UserMessage(text="x")).decode(), b"h")]
    await sf._run_in_connection(PublicOnly(), sf._commit_events, rows, "SELECT ?", (1,))  # type: ignore[arg-type]
    row = await store._fetchone("SELECT kind FROM events WHERE seq = 1", ())
    assert row[0] == "user_message"
    await store.close()
