"""A tiny raw-ASGI harness: exact messages in, exact messages out, no client library."""

from __future__ import annotations

from typing import Any

import orjson


def http_scope(
    path: str = "/v1/chat/completions",
    method: str = "POST",
    headers: list[tuple[bytes, bytes]] | None = None,
    client: tuple[str, int] | None = ("203.0.113.10", 5000),
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers if headers is not None else [(b"content-type", b"application/json")],
        "client": client,
        "server": ("127.0.0.1", 8000),
    }


class Exchange:
    """Feeds a body in chunks and records everything the middleware sends back."""

    def __init__(self, body: bytes = b"", chunk: int | None = None) -> None:
        size = chunk or max(1, len(body))
        parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        self.incoming = [
            {"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
            for i, p in enumerate(parts)
        ]
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.incoming:
            return self.incoming.pop(0)
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")

    def json(self) -> Any:
        return orjson.loads(self.body)


def chat_body(content: str = "hello", **params: Any) -> bytes:
    doc = {"model": "m", "messages": [{"role": "user", "content": content}], **params}
    return orjson.dumps(doc)


def bearer(key: str = "sk-test-1") -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"authorization", f"Bearer {key}".encode())]


class EmptyJsonApp:
    """A model server that reads the whole body and answers ``{}``."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
