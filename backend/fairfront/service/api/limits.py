"""Reject over-size request bodies before they are read (pure ASGI middleware)."""

from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]


class BodyLimitMiddleware:
    """413 for a body over ``limit`` bytes on ``path``: by Content-Length at once, else
    while streaming (chunked uploads), so an over-size upload is never read whole.

    ``shown_limit`` is the limit the message names (the file limit, without the
    multipart framing allowance).
    """

    def __init__(self, app: Any, *, path: str, limit: int, shown_limit: int) -> None:
        self.app = app
        self.path = path
        self.limit = limit
        self.shown_limit = shown_limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(send)
            return
        received = 0
        over = False
        replied = False

        async def counting_receive() -> Any:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Stop feeding the app; whatever it answers is replaced by a 413.
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal replied
            if over:
                if not replied:
                    replied = True
                    await self._reject(send)
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not replied:
            await self._reject(send)

    async def _reject(self, send: Any) -> None:
        detail = f"the upload is larger than the limit of {self.shown_limit} bytes"
        body = json.dumps({"detail": detail, "field": "file"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
