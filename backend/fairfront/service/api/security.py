"""Browser protections, as one pure ASGI middleware (streams pass through untouched).

- **Allowed hosts**: a request whose ``Host`` is not one of ``Settings.allowed_hosts``
  gets 400 (DNS rebinding: a page on ``evil.example`` that resolves to 127.0.0.1 sends
  ``Host: evil.example``). Ports are not compared; ``*`` allows any host.
- **Origin check**: a state-changing request (POST, PUT, PATCH, DELETE) that carries an
  ``Origin`` (or, without one, a ``Referer``) from anywhere but this service, a loopback
  page or ``Settings.allowed_origins`` gets 403. Requests with neither header (the
  Streamlit server, curl, scripts) are not from a browser page and pass.
- **Body size**: every request body is limited (uploads to ``max_upload_bytes`` plus
  the multipart framing, everything else to ``max_json_bytes``): 413 at once from
  ``Content-Length``, and while streaming for chunked bodies, so an over-size body is
  never read whole.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from ..settings import Settings

__all__ = ["MULTIPART_SLACK", "SecurityMiddleware", "host_name", "origin_allowed"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MULTIPART_SLACK = 64 * 1024
"""Multipart framing around an uploaded file: allowed over the file limit itself."""
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
UPLOAD_PATH = "/api/datasets"


def host_name(host: str) -> str:
    """``Host`` header value without its port, lower case (``[::1]:8000`` -> ``[::1]``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def origin_allowed(origin: str, request_host: str, settings: Settings) -> bool:
    """True for this service's own origin, a loopback page, or a configured origin."""
    origin = origin.strip().lower().rstrip("/")
    if origin in {o.lower().rstrip("/") for o in settings.allowed_origins}:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if parts.netloc == request_host.strip().lower():
        return True  # same origin
    return host_name(parts.netloc) in LOOPBACK


class SecurityMiddleware:
    def __init__(self, app: Any, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.any_host = "*" in settings.allowed_hosts
        self.hosts = {h.lower() for h in settings.allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if not self.any_host and host_name(host) not in self.hosts:
            await _reply(send, 400, "this service does not answer to that host name")
            return
        if scope["method"] in STATE_CHANGING:
            origin = headers.get("origin") or headers.get("referer")
            if origin is not None and not origin_allowed(origin, host, self.settings):
                await _reply(
                    send, 403, "requests from other web sites are refused (Origin not allowed)"
                )
                return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        await self._limited(scope, receive, send, headers)

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        upload = scope["path"] == UPLOAD_PATH
        shown = self.settings.max_upload_bytes if upload else self.settings.max_json_bytes
        limit = shown + MULTIPART_SLACK if upload else shown
        what, field = ("upload", "file") if upload else ("request body", None)
        detail = f"the {what} is larger than the limit of {shown} bytes"
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await _reply(send, 413, detail, field)
            return
        received = 0
        over = False
        replied = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True  # stop feeding the app; its answer becomes a 413
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal replied
            if over:
                if not replied:
                    replied = True
                    await _reply(send, 413, detail, field)
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not replied:
            await _reply(send, 413, detail, field)


async def _reply(send: Send, status: int, detail: str, field: str | None = None) -> None:
    body = json.dumps({"detail": detail, "field": field}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
