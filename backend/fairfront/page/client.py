"""The one module that talks to the fairfront service (HTTP only; no ML, no metrics).

Every call returns decoded JSON (or bytes for downloads) and raises :class:`APIError`
with a sentence a user can read when the service refuses, fails or cannot be reached.
The service's address comes from ``FAIRFRONT_API_URL`` (default ``http://127.0.0.1:8000``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import httpx

__all__ = [
    "DEFAULT_API_URL",
    "APIError",
    "Client",
    "api_url",
    "get_client",
    "set_token_source",
]

DEFAULT_API_URL = "http://127.0.0.1:8000"
READ_TIMEOUT = 10.0
"""Seconds for quick reads (run status, front, datasets)."""
SLOW_TIMEOUT = 120.0
"""Seconds for calls that may compute (chat, explanation, export, upload)."""


def _no_token() -> str | None:
    return None


_token_source: Callable[[], str | None] = _no_token


def set_token_source(source: Callable[[], str | None]) -> None:
    """Where each request finds the owner token of the browser session it serves (the
    page keeps one per browser session; one :class:`Client` serves them all)."""
    global _token_source
    _token_source = source


class APIError(Exception):
    """The service said no (``status`` is its HTTP code) or could not be reached (``None``)."""

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def api_url() -> str:
    """The service's base URL, without a trailing slash."""
    return (os.environ.get("FAIRFRONT_API_URL") or DEFAULT_API_URL).rstrip("/")


def _detail(response: httpx.Response) -> tuple[str, str | None]:
    """The service's ``{detail, field}`` body in words (FastAPI's 422 list included)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail, field = body.get("detail"), body.get("field")
        if isinstance(detail, str) and detail:
            return detail, field if isinstance(field, str) else None
        if isinstance(detail, list) and detail:
            parts = []
            for item in detail[:3]:
                if isinstance(item, dict):
                    where = ".".join(str(p) for p in item.get("loc", ())[1:])
                    parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
            if parts:
                return "; ".join(parts), None
    return f"the service answered HTTP {response.status_code}", None


class Client:
    """A thin, typed wrapper over the service's routes."""

    def __init__(self, base_url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        self._http = httpx.Client(
            base_url=base_url, timeout=READ_TIMEOUT, transport=transport, trust_env=False
        )

    def _request(
        self, method: str, path: str, *, timeout: float = READ_TIMEOUT, **kwargs: Any
    ) -> httpx.Response:
        token = kwargs.pop("token", None)  # "" sends none
        if token is None:
            token = _token_source()
        if token:
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
        try:
            response = self._http.request(method, path, timeout=timeout, **kwargs)
        except httpx.ConnectError as error:
            reason = "connection refused" if "refused" in str(error).lower() else str(error)
            raise APIError(
                f"I cannot reach the fairfront service at {self.base_url} ({reason}). "
                "Is it running? `fairfront serve` starts it together with this page."
            ) from error
        except httpx.TimeoutException as error:
            raise APIError(
                f"The fairfront service at {self.base_url} did not answer within "
                f"{timeout:.0f} s; try again in a moment."
            ) from error
        except httpx.HTTPError as error:
            raise APIError(f"The connection to the fairfront service failed: {error}") from error
        if response.status_code >= 400:
            detail, field = _detail(response)
            raise APIError(detail, status=response.status_code, field=field)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            raise APIError("the service sent an answer that is not JSON") from error

    # ----- service ------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", "/api/health", timeout=3.0)
        return result

    # ----- who is asking -------------------------------------------------------------
    def open_session(self, access_token: str | None = None) -> dict[str, Any]:
        """A new owner: ``{owner, token}`` (401 when the service wants its access token)."""
        body = {"access_token": access_token} if access_token else None
        result: dict[str, Any] = self._json("POST", "/api/sessions", json=body, token="")
        self._http.cookies.clear()  # one client serves many owners: never a shared cookie
        return result

    def me(self, token: str) -> dict[str, Any]:
        """``{owner, access_token_required}`` for ``token`` (401 when it is not valid)."""
        result: dict[str, Any] = self._json("GET", "/api/sessions/me", token=token)
        return result

    def new_chat_session(self) -> str:
        """A chat session issued by the service to the current owner; its id."""
        session_id: str = self._json("POST", "/api/chat/sessions")["id"]
        return session_id

    def chat_session(self, session_id: str) -> dict[str, Any]:
        """``{id, history, setup, run_id}`` of one of the owner's chat sessions."""
        result: dict[str, Any] = self._json("GET", f"/api/chat/sessions/{session_id}")
        return result

    # ----- chat ---------------------------------------------------------------------
    def chat(self, session_id: str, message: str) -> dict[str, Any]:
        """``{reply, actions, setup, run_id}`` for one message of a session."""
        body = {"session_id": session_id, "message": message}
        result: dict[str, Any] = self._json("POST", "/api/chat", json=body, timeout=SLOW_TIMEOUT)
        return result

    # ----- datasets -----------------------------------------------------------------
    def datasets(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", "/api/datasets")["datasets"]
        return result

    def dataset(self, dataset_id: str) -> dict[str, Any]:
        """A dataset's description; its profile may be computed on the first ask (many
        seconds for Adult on a busy machine)."""
        result: dict[str, Any] = self._json(
            "GET", f"/api/datasets/{dataset_id}", timeout=SLOW_TIMEOUT
        )
        return result

    def upload(self, filename: str, content: bytes) -> dict[str, Any]:
        """Upload a CSV (multipart field ``file``); the new dataset's description."""
        files = {"file": (filename, content, "text/csv")}
        result: dict[str, Any] = self._json(
            "POST", "/api/datasets", files=files, timeout=SLOW_TIMEOUT
        )
        return result

    def vocabulary(self) -> dict[str, Any]:
        """Notions, performance metrics, learners and datasets: names, labels, aliases."""
        result: dict[str, Any] = self._json("GET", "/api/vocabulary")
        return result

    # ----- runs and points ----------------------------------------------------------
    def runs(self, limit: int = 100) -> list[dict[str, Any]]:
        """The owner's runs, newest first."""
        result: list[dict[str, Any]] = self._json("GET", "/api/runs", params={"limit": limit})[
            "runs"
        ]
        return result

    def cancel(self, run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("DELETE", f"/api/runs/{run_id}")
        return result

    def delete_run(self, run_id: str) -> None:
        """Remove an ended run, its files and rows."""
        self._request("DELETE", f"/api/runs/{run_id}", params={"purge": "true"})

    def run(self, run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/api/runs/{run_id}")
        return result

    def front(self, run_id: str) -> dict[str, Any]:
        """The run's status and points: the one endpoint the page follows a run by (live
        while it trains; with baselines and the selection once done)."""
        result: dict[str, Any] = self._json("GET", f"/api/runs/{run_id}/front")
        return result

    def select(self, run_id: str, round_: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "POST", f"/api/runs/{run_id}/select", json={"round": round_}
        )
        return result

    def explanation(self, run_id: str, round_: int) -> dict[str, Any]:
        """``{round, text, source, facts}``; ``facts.by_group`` has the group rates."""
        result: dict[str, Any] = self._json(
            "GET", f"/api/runs/{run_id}/points/{round_}/explanation", timeout=SLOW_TIMEOUT
        )
        return result

    def model_card(self, run_id: str, round_: int) -> dict[str, Any]:
        """The point's model card (JSON); ``metrics.test_by_group`` has rates by group."""
        result: dict[str, Any] = self._json(
            "GET", f"/api/runs/{run_id}/points/{round_}/model-card", timeout=SLOW_TIMEOUT
        )
        return result

    def point_paths(self, run_id: str, round_: int) -> dict[str, str]:
        """Service paths of a point's downloads (as a chat ``download`` action names them)."""
        base = f"/api/runs/{run_id}/points/{round_}"
        return {
            "model_url": f"{base}/model.onnx",
            "card_url": f"{base}/model-card",
            "card_markdown_url": f"{base}/model-card?format=markdown",
        }

    def download(self, path: str, *, token: str | None = None) -> bytes:
        """The bytes behind a service path (a model or a model card); ``token``: the
        owner's, where the caller runs outside the browser session (a deferred
        download runs in a thread of its own)."""
        if not path.startswith("/api/"):
            raise APIError(f"not a service download path: {path!r}")
        return self._request("GET", path, timeout=SLOW_TIMEOUT, token=token).content


@lru_cache(maxsize=4)
def _client_for(base_url: str) -> Client:
    return Client(base_url)


def get_client() -> Client:
    """The shared client for the configured service URL (connections are pooled)."""
    return _client_for(api_url())
