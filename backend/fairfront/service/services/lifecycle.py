"""Every run ends: a watchdog for runs whose worker is gone, and a cap on the queue.

:class:`Watchdog` looks at the jobs this process started every ``watchdog_seconds``:
a job whose future has finished (returned, raised, or its worker process died) while
its run is still queued, running or cancelling is marked ``failed`` with a message
and a final ``error`` event, so that every status and every stream ends. A database
that cannot be written at that moment (a full disk) is tried again on the next sweep.

:func:`check_capacity` refuses a new run (429) while ``max_queued`` runs are queued
or running.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ServiceError
from ..store import Database, RunRecord
from .jobs import ACTIVE, append_event

if TYPE_CHECKING:
    from .runs import RunsService

__all__ = ["QueueFullError", "Watchdog", "check_capacity", "fail_orphan"]

log = logging.getLogger(__name__)

WORKER_GONE = "the training process stopped before the run ended; train it again"


class QueueFullError(ServiceError):
    status_code = 429


def check_capacity(db: Database, limit: int) -> None:
    """:class:`QueueFullError` when ``limit`` runs are already queued or running."""
    with db.session() as session:
        active = session.scalar(
            select(func.count()).select_from(RunRecord).where(RunRecord.status.in_(ACTIVE))
        )
    if (active or 0) >= limit:
        raise QueueFullError(
            f"{active} runs are queued or running and the limit is {limit}; wait for one "
            "to end or cancel one, then try again"
        )


def _job_failure(future: Any) -> str:
    """Why a finished job did not end its run, in words without paths."""
    try:
        error = future.exception(timeout=0)
    except Exception:  # cancelled, or a Dask future that lost its result
        return WORKER_GONE
    if error is None:
        return WORKER_GONE
    name = type(error).__name__
    if "Broken" in name or "Killed" in name or "Terminated" in name:
        return WORKER_GONE
    return f"the run could not be finished ({name}); train it again"


def fail_orphan(db: Database, run_id: str, message: str) -> bool:
    """Mark a run that is still active as failed with ``message``; True if it was."""
    now = datetime.now(UTC)
    with db.session() as session:
        record = session.get(RunRecord, run_id)
        if record is None or record.status not in ACTIVE:
            return False
        record.status = "failed"
        record.error = message
        record.finished = now
    append_event(db, run_id, "error", {"message": message})
    return True


class Watchdog:
    """A daemon thread that ends runs whose job is over but whose status is not."""

    def __init__(self, runs: RunsService, interval: float) -> None:
        self.runs = runs
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="run-watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # keep watching; the next sweep tries again
                log.exception("watchdog sweep failed")

    def sweep(self) -> int:
        """End the orphaned runs now; returns how many were marked failed."""
        ended = 0
        for run_id, future in self.runs.jobs().items():
            if not future.done():
                continue
            try:
                if fail_orphan(self.runs.db, run_id, _job_failure(future)):
                    log.warning("run %s: its job ended without ending the run", run_id)
                    ended += 1
                self.runs.forget_job(run_id)
            except SQLAlchemyError:  # e.g. a full disk: try again next time
                log.warning("run %s: could not be marked failed yet", run_id)
        return ended
