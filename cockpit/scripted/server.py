"""A loopback HTTP/1.1 server that answers the Messages API from scenario scripts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cockpit.errors import CockpitError
from cockpit.scripted import wire
from cockpit.scripted.scenario import (
    SCRIPTED_MODEL_PREFIX,
    Fault,
    Pace,
    Position,
    Scenario,
    Turn,
    locate,
    shipped_scenarios,
    turn_at,
)

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    529: "Overloaded",
}
_PRE_BODY_FAULTS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    ),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "api_error": (500, "api_error", "Internal server error"),
}
_FLUSH_BYTES = 256 * 1024  # unpaced streams are written in batches this large
_PACE_STEP_S = 0.03  # paced streams sleep in steps of at least this long
_MAX_BODY = 64 * 1024 * 1024
DONE_TURN = Turn(text="Done.")


@dataclass(frozen=True)
class FaultRecord:
    """A fault the server injected (tests and the demo log read these)."""

    scenario: str
    position: str
    kind: str


class _Closed(Exception):
    """The connection must be closed after this response."""


class ScriptedServer:
    """The scripted model on 127.0.0.1; point `AsyncAnthropic(base_url=...)` at it.

    Model `scripted:<name>` selects a scenario; any other model uses `default_scenario`.
    `speed` multiplies every delay (first-token latency, token pacing); 0 never sleeps.
    """

    def __init__(
        self,
        scenarios: Mapping[str, Scenario] | None = None,
        default_scenario: str | None = None,
        speed: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.scenarios: dict[str, Scenario] = (
            dict(scenarios) if scenarios is not None else shipped_scenarios()
        )
        if default_scenario is not None and default_scenario not in self.scenarios:
            known = ", ".join(sorted(self.scenarios))
            raise CockpitError(f"unknown scenario {default_scenario!r} (known: {known})")
        if speed < 0:
            raise CockpitError("the speed factor must be 0 or more")
        self.default_scenario = default_scenario
        self.speed = speed
        self.host = host
        self.port = port
        self.faults: list[FaultRecord] = []
        self.requests = 0
        self._fired: set[str] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Listen in the current event loop (port 0 picks a free one)."""
        if self._server is not None:
            return
        try:
            self._server = await asyncio.start_server(self._connection, self.host, self.port)
        except OSError as exc:
            raise CockpitError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and end every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)

    async def __aenter__(self) -> ScriptedServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the scripted server is not started")
        return f"http://{self.host}:{self.port}"

    def reset_faults(self) -> None:
        """Forget which faults fired, so the next attempt of each faulty turn fails again."""
        self._fired.clear()

    # --- HTTP/1.1 ---------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                try:
                    method, target, headers = _parse_head(head)
                    body = await _read_body(reader, headers)
                except _BadHttp as exc:
                    await _send_json(
                        writer, exc.status, wire.error_body("invalid_request_error", str(exc))
                    )
                    return
                keep = headers.get("connection", "").lower() != "close"
                try:
                    await self._dispatch(method, target, headers, body, writer)
                except _Closed:
                    return
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            return
        finally:
            if task is not None:
                self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _dispatch(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        writer: asyncio.StreamWriter,
    ) -> None:
        path = urlsplit(target).path.rstrip("/")
        if path == "/v1/models" and method == "GET":
            await _send_json(writer, 200, self._models())
            return
        if path not in ("/v1/messages", "/v1/messages/count_tokens"):
            await _send_error(writer, 404, "not_found_error", f"Not found: {method} {path}")
            return
        if method != "POST":
            await _send_error(writer, 405, "invalid_request_error", f"Method {method} not allowed")
            return
        if not headers.get("x-api-key") and not headers.get("authorization"):
            await _send_error(writer, 401, "authentication_error", "x-api-key header is required")
            return
        try:
            request = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError) as exc:
            await _send_error(
                writer,
                400,
                "invalid_request_error",
                f"There was an issue with your request body: invalid JSON ({exc})",
            )
            return
        if path.endswith("count_tokens"):
            await self._count_tokens(request, writer)
            return
        self.requests += 1
        try:
            valid = wire.validate_request(request)
            scenario = self._scenario_for(valid["model"])
        except wire.RequestInvalid as exc:
            await _send_error(writer, exc.status, exc.kind, exc.message)
            return
        await self._answer(scenario, valid, writer)

    async def _count_tokens(self, request: Any, writer: asyncio.StreamWriter) -> None:
        if not isinstance(request, dict) or "messages" not in request or "model" not in request:
            missing = "messages" if isinstance(request, dict) and "model" in request else "model"
            await _send_error(writer, 400, "invalid_request_error", f"{missing}: Field required")
            return
        await _send_json(writer, 200, {"input_tokens": wire.estimate_input_tokens(request)})

    def _models(self) -> dict[str, Any]:
        data = [
            {
                "type": "model",
                "id": SCRIPTED_MODEL_PREFIX + name,
                "display_name": f"Scripted: {name}",
                "created_at": "2025-01-01T00:00:00Z",
            }
            for name in sorted(self.scenarios)
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }

    def _scenario_for(self, model: str) -> Scenario:
        if model.startswith(SCRIPTED_MODEL_PREFIX):
            name = model[len(SCRIPTED_MODEL_PREFIX) :]
            if name in self.scenarios:
                return self.scenarios[name]
        elif self.default_scenario is not None:
            return self.scenarios[self.default_scenario]
        raise wire.RequestInvalid(f"model: {model}", status=404, kind="not_found_error")

    # --- answering --------------------------------------------------------------------

    async def _answer(
        self, scenario: Scenario, request: dict[str, Any], writer: asyncio.StreamWriter
    ) -> None:
        messages = request["messages"]
        pos = locate(scenario, messages)
        turn = turn_at(scenario, pos) or DONE_TURN
        fault = self._take_fault(scenario, request, pos, turn)
        if fault is not None and fault.kind in _PRE_BODY_FAULTS:
            status, kind, message = _PRE_BODY_FAULTS[fault.kind]
            extra: dict[str, str] = {"x-should-retry": "true"}
            if fault.kind == "rate_limit" or "retry_after_s" in fault.model_fields_set:
                ms = max(1.0, fault.retry_after_s * 1000)
                extra["retry-after"] = f"{ms / 1000:g}"
                extra["retry-after-ms"] = f"{ms:g}"
            await _send_error(writer, status, kind, message, extra)
            return
        blocks = wire.plan_blocks(turn, wire.thinking_enabled(request))
        input_tokens = wire.estimate_input_tokens(request)
        model = request["model"]
        msg_id = wire.new_id("msg_")
        stop_reason = turn.effective_stop_reason
        pace = turn.pace or scenario.pace
        if not request.get("stream"):
            if fault is not None and fault.kind == "drop_connection":
                writer.transport.abort()
                raise _Closed
            if fault is not None:  # overloaded mid-stream has no stream: answer 529
                status, kind, message = _PRE_BODY_FAULTS["overloaded"]
                await _send_error(writer, status, kind, message, {"x-should-retry": "true"})
                return
            await self._sleep(
                pace.first_token_ms / 1000 + wire.output_tokens(blocks) / pace.tokens_per_s
            )
            await _send_json(
                writer, 200, wire.message_json(msg_id, model, blocks, stop_reason, input_tokens)
            )
            return
        await self._stream(writer, blocks, msg_id, model, stop_reason, input_tokens, pace, fault)

    def _take_fault(
        self, scenario: Scenario, request: dict[str, Any], pos: Position, turn: Turn
    ) -> Fault | None:
        """A turn's fault fires on the first attempt of that turn in a conversation only."""
        if turn.fault is None:
            return None
        first = json.dumps(request["messages"][0].get("content"), sort_keys=True, default=str)
        metadata = request.get("metadata") or {}
        user = metadata.get("user_id", "") if isinstance(metadata, dict) else ""
        n_assistant = sum(1 for m in request["messages"] if m.get("role") == "assistant")
        digest = hashlib.sha256(f"{first}|{user}".encode()).hexdigest()[:16]
        key = f"{scenario.name}|{digest}|{pos.key}|{n_assistant}"
        if key in self._fired:
            return None
        self._fired.add(key)
        self.faults.append(FaultRecord(scenario.name, pos.key, turn.fault.kind))
        return turn.fault

    async def _sleep(self, seconds: float) -> None:
        if self.speed > 0 and seconds > 0:
            await asyncio.sleep(seconds * self.speed)

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        blocks: list[wire.Block],
        msg_id: str,
        model: str,
        stop_reason: str,
        input_tokens: int,
        pace: Pace,
        fault: Fault | None,
    ) -> None:
        request_id = wire.new_id("req_")
        writer.write(
            _head(
                200,
                {
                    "content-type": "text/event-stream; charset=utf-8",
                    "cache-control": "no-cache",
                    "transfer-encoding": "chunked",
                    "request-id": request_id,
                    "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
                },
            )
        )
        out = bytearray(wire.message_start(msg_id, model, input_tokens))
        paced = self.speed > 0
        per_token = self.speed / pace.tokens_per_s if paced else 0.0
        pending = 0.0

        async def flush() -> None:
            if out:
                writer.write(b"%x\r\n" % len(out))
                writer.write(bytes(out))
                writer.write(b"\r\n")
                out.clear()
            await writer.drain()

        await flush()
        await self._sleep(pace.first_token_ms / 1000)
        sent = 0
        limit = fault.after_tokens if fault is not None else -1

        async def fail() -> None:
            assert fault is not None
            if fault.kind == "overloaded_midstream":
                out.extend(wire.error_event("overloaded_error", "Overloaded"))
                await flush()
                writer.write(b"0\r\n\r\n")
                await writer.drain()
                return
            await flush()
            writer.transport.abort()
            raise _Closed

        for index, block in enumerate(blocks):
            out.extend(wire.block_start(index, block))
            if index == 0:
                out.extend(wire.PING)
            if sent >= limit >= 0:
                await fail()
                return
            for data, tokens in wire.block_deltas(index, block):
                out.extend(data)
                if limit >= 0:
                    sent += tokens
                    if sent >= limit:
                        await fail()
                        return
                if paced:
                    pending += tokens * per_token
                    if pending >= _PACE_STEP_S:
                        await flush()
                        await asyncio.sleep(pending)
                        pending = 0.0
                elif len(out) >= _FLUSH_BYTES:
                    await flush()
            out.extend(wire.block_stop(index))
        if limit >= 0:  # a fault later than the whole answer fires at its end
            await fail()
            return
        out.extend(wire.message_end(stop_reason, input_tokens, wire.output_tokens(blocks)))
        await flush()
        writer.write(b"0\r\n\r\n")
        await writer.drain()


class _BadHttp(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadHttp("malformed request line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadHttp("malformed header line")
        headers[name.strip().lower()] = value.strip()
    if parts[2] == "HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive":
        headers["connection"] = "close"
    return parts[0].upper(), parts[1], headers


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(body)
            body += await reader.readexactly(size)
            await reader.readexactly(2)
            if len(body) > _MAX_BODY:
                raise _BadHttp("request body too large", 413)
    length = headers.get("content-length")
    if length is None:
        return b""
    try:
        n = int(length)
    except ValueError:
        raise _BadHttp("invalid content-length") from None
    if n > _MAX_BODY:
        raise _BadHttp("request body too large", 413)
    return await reader.readexactly(n) if n else b""


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send_json(
    writer: asyncio.StreamWriter,
    status: int,
    payload: Mapping[str, Any],
    extra: Mapping[str, str] | None = None,
) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "content-type": "application/json",
        "content-length": str(len(body)),
        "request-id": wire.new_id("req_"),
        **(extra or {}),
    }
    writer.write(_head(status, headers) + body)
    await writer.drain()


async def _send_error(
    writer: asyncio.StreamWriter,
    status: int,
    kind: str,
    message: str,
    extra: Mapping[str, str] | None = None,
) -> None:
    await _send_json(writer, status, wire.error_body(kind, message), extra)
