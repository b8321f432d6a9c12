"""A loopback OpenAI-compatible chat server for tests, with scripted answers.

``LLMStub`` runs ``http.server`` on 127.0.0.1 (a free port) in a background thread and
answers ``POST /v1/chat/completions`` from a queue of scripted replies: plain content,
tool calls with given arguments, a delay (to force client timeouts) or an HTTP error;
``hang()`` makes every request wait without an answer until ``release()``.
Every request body it receives is recorded. Use the real ``openai.OpenAI`` client::

    with LLMStub() as stub:
        stub.reply(content="hello")
        client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LLMStub", "Reply"]


@dataclass
class Reply:
    """One scripted answer."""

    content: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, JSON arguments)
    delay: float = 0.0
    status: int = 200


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unreadable": raw.decode("utf-8", "replace")}
        stub = self.server.stub
        stub.record(self.path, body)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        reply = stub.next_reply()
        if stub.hanging.is_set():
            stub.release_event.wait()  # until release() or stop(): a model that never answers
            return
        if reply.delay:
            time.sleep(reply.delay)
        if reply.status != 200:
            self._send(reply.status, {"error": {"message": "scripted failure", "type": "server"}})
            return
        self._send(200, stub.completion(body, reply))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    stub: LLMStub


class LLMStub:
    """The server; ``reply(...)`` queues answers (default: content ``"ok"``)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._count = 0
        self.hanging = threading.Event()
        self.release_event = threading.Event()

    # ------------------------------------------------------------------ life
    def start(self) -> LLMStub:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.stub = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LLMStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the stub first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -------------------------------------------------------------- scripting
    def reply(
        self,
        content: str | None = None,
        *,
        tool_calls: list[tuple[str, dict[str, Any] | str]] | None = None,
        delay: float = 0.0,
        status: int = 200,
    ) -> None:
        """Queue one answer: ``content``, ``tool_calls`` [(name, arguments)], a delay or
        an HTTP error ``status``. Arguments given as a dict are JSON-encoded; a string
        is sent as is (to test malformed arguments)."""
        calls = [(n, a if isinstance(a, str) else json.dumps(a)) for n, a in tool_calls or []]
        with self._lock:
            self._replies.append(Reply(content, calls, delay, status))

    def hang(self) -> None:
        """From now on every request hangs, answering nothing, until :meth:`release`."""
        self.release_event.clear()
        self.hanging.set()

    def release(self) -> None:
        """End the hang: waiting requests are dropped without an answer."""
        self.hanging.clear()
        self.release_event.set()

    def reset(self) -> None:
        with self._lock:
            self._replies.clear()
            self.requests.clear()

    def record(self, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append({"path": path, "body": body})

    def next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else Reply(content="ok")

    def completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        with self._lock:
            self._count += 1
            number = self._count
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{number}_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
                for i, (name, arguments) in enumerate(reply.tool_calls)
            ]
        return {
            "id": f"chatcmpl-stub-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model", "stub")),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
