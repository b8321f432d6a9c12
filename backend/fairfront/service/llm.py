"""LLM calls, bounded: one total deadline per explanation or chat turn, and a small pool
of their own so that a slow or hanging model cannot hold the threads that serve every
other route.

- :class:`Deadline`: seconds left for everything one request asks of the model,
  retries included (a hanging endpoint costs the deadline once, not timeout x tries).
  :func:`llm_turn` sets one for the current context (a chat turn, an explanation);
  :func:`current_deadline` reads it, or starts a fresh one with the configured length.
- :func:`bounded_completion`: ``client.chat.completions.create(**kwargs)`` run in the
  LLM pool, each try with the time left as its timeout; :class:`LLMBusy` at once when
  ``llm_workers`` calls are already in flight (callers then answer without the model),
  :class:`LLMDeadlineExceeded` when the time is up.
- :func:`make_llm_client`: the ``openai.OpenAI`` client for the settings, with no
  retries of its own (the tries here are the only ones).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import openai

from .settings import Settings

__all__ = [
    "Deadline",
    "LLMBusy",
    "LLMDeadlineExceeded",
    "LLMUnavailable",
    "bounded_completion",
    "configure",
    "current_deadline",
    "in_flight",
    "llm_turn",
    "make_llm_client",
]

log = logging.getLogger(__name__)

MIN_TRY_SECONDS = 0.05
"""A try is not started with less time than this left."""


class LLMUnavailable(Exception):
    """The model could not answer in time or at all; the caller answers without it."""


class LLMBusy(LLMUnavailable):
    def __init__(self) -> None:
        super().__init__("the language model is busy with other requests")


class LLMDeadlineExceeded(LLMUnavailable):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"the language model did not answer within {seconds:g} s")


class Deadline:
    """A point in time (monotonic clock) by which the model must have answered."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= MIN_TRY_SECONDS


class _State:
    """The process's LLM pool and default deadline (set from the settings at start-up)."""

    def __init__(self, workers: int = 4, deadline: float = 30.0, retries: int = 2) -> None:
        self.workers = workers
        self.deadline = deadline
        self.retries = retries
        self.slots = threading.BoundedSemaphore(workers)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm")
        self.running = 0
        self.count_lock = threading.Lock()


_state = _State()
_state_lock = threading.Lock()
_turn: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "fairfront_llm_deadline", default=None
)


def configure(settings: Settings) -> None:
    """Size the LLM pool and set the default deadline (once per service start)."""
    global _state
    with _state_lock:
        old = _state
        _state = _State(settings.llm_workers, settings.llm_deadline, settings.llm_retries)
    old.pool.shutdown(wait=False, cancel_futures=True)


def in_flight() -> int:
    """LLM calls running now (at most ``llm_workers``)."""
    with _state.count_lock:
        return _state.running


def current_deadline() -> Deadline:
    """The deadline of the current turn, or a fresh one of the configured length."""
    return _turn.get() or Deadline(_state.deadline)


@contextlib.contextmanager
def llm_turn(seconds: float | None = None) -> Iterator[Deadline]:
    """Everything the model is asked inside this block shares one deadline."""
    existing = _turn.get()
    if existing is not None:  # nested: the outer turn's deadline holds
        yield existing
        return
    deadline = Deadline(seconds if seconds is not None else _state.deadline)
    token = _turn.set(deadline)
    try:
        yield deadline
    finally:
        _turn.reset(token)


def make_llm_client(settings: Settings) -> openai.OpenAI | None:
    """The OpenAI-compatible client when an LLM is configured (no retries of its own)."""
    if not settings.llm_configured:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused"
    return openai.OpenAI(
        base_url=settings.llm_base_url, api_key=key, max_retries=0, timeout=settings.llm_timeout
    )


def _retriable(error: BaseException) -> bool:
    if isinstance(error, openai.APITimeoutError | openai.APIConnectionError):
        return True
    status = getattr(error, "status_code", None)
    return isinstance(status, int) and (status == 429 or status >= 500)


def _tries(
    client: Any, deadline: Deadline, per_try: float | None, retries: int, kwargs: dict[str, Any]
) -> Any:
    last: BaseException | None = None
    for _ in range(retries + 1):
        left = deadline.remaining()
        if left <= MIN_TRY_SECONDS:
            break
        timeout = min(left, per_try) if per_try else left
        try:
            bounded = client.with_options(timeout=timeout, max_retries=0)
            return bounded.chat.completions.create(**kwargs)
        except Exception as error:
            if not _retriable(error):
                raise
            last = error
    if deadline.expired or last is None:
        raise LLMDeadlineExceeded(deadline.seconds) from last
    raise last


def bounded_completion(
    client: Any,
    *,
    deadline: Deadline | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    **kwargs: Any,
) -> Any:
    """``client.chat.completions.create(**kwargs)`` within ``deadline`` (default: the
    current turn's), in the LLM pool. ``timeout`` caps one try; ``retries`` defaults to
    the configured number. Raises :class:`LLMBusy` at once when the pool is full,
    :class:`LLMDeadlineExceeded` when time runs out, or the client's own error."""
    deadline = deadline or current_deadline()
    state = _state
    if deadline.expired:
        raise LLMDeadlineExceeded(deadline.seconds)
    if not state.slots.acquire(blocking=False):
        raise LLMBusy()
    with state.count_lock:
        state.running += 1
    tries = state.retries if retries is None else retries

    def job() -> Any:
        try:
            return _tries(client, deadline, timeout, tries, kwargs)
        finally:
            with state.count_lock:
                state.running -= 1
            state.slots.release()

    try:
        future = state.pool.submit(job)
    except RuntimeError:  # the pool was replaced or shut down
        with state.count_lock:
            state.running -= 1
        state.slots.release()
        raise LLMBusy() from None
    try:
        # The worker's own timeouts end it by the deadline; waiting a little longer
        # only lets a just-finished answer be used.
        return future.result(timeout=deadline.remaining() + 0.5)
    except FutureTimeout:
        future.cancel()
        raise LLMDeadlineExceeded(deadline.seconds) from None
