"""Training jobs: run outside the request, in local processes or on a Dask cluster.

A job trains one run of any learner family through :func:`fairfront.runs.train` and
appends its events (one ``round`` per point -- a boosting round, or a multi-task
(setting, epoch) -- then ``done``, ``error`` or ``cancelled``) to the store, so that
any number of clients can follow or replay them. Jobs write through their own database
connection; with SQLite that is the same file (WAL mode), with a server database any
worker that can reach it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select, update

from ...fronts import mark_front
from ...runs import PointEvent, RunSpec, train, write_run
from ..storage import failure_message
from ..store import Database, EventRecord, RunRecord

log = logging.getLogger(__name__)

TERMINAL = ("done", "failed", "cancelled")
ACTIVE = ("queued", "running", "cancelling")


class JobCancelled(Exception):
    """Raised inside a job when its run was cancelled."""


@dataclass(frozen=True)
class JobRequest:
    run_id: str
    spec: dict[str, Any]
    database_url: str
    run_dir: str


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def append_event(db: Database, run_id: str, kind: str, data: dict[str, Any]) -> int:
    """Store the run's next event; returns its sequence number (the SSE id)."""
    with db.session() as session:
        last = session.scalar(select(func.max(EventRecord.seq)).where(EventRecord.run_id == run_id))
        seq = (last or 0) + 1
        session.add(EventRecord(run_id=run_id, seq=seq, kind=kind, data=data))
    return seq


def _status(db: Database, run_id: str) -> str | None:
    with db.session() as session:
        return session.scalar(select(RunRecord.status).where(RunRecord.id == run_id))


def _transition(db: Database, run_id: str, from_: Sequence[str], **values: Any) -> bool:
    """Set ``values`` only if the run's status is one of ``from_``; True if it was.

    One UPDATE ... WHERE status IN (...): a worker left over from a killed server,
    or a cancelled run, can never overwrite what another process decided.
    """
    with db.session() as session:
        result = session.execute(
            update(RunRecord)
            .where(RunRecord.id == run_id, RunRecord.status.in_(tuple(from_)))
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))


def run_job(request: JobRequest) -> str:
    """Train one run, streaming its points into the store. Runs in a worker."""
    db = _database(request.database_url)
    run_id = request.run_id
    now = datetime.now(UTC)
    if _transition(db, run_id, ("cancelling",), status="cancelled", finished=now):
        append_event(db, run_id, "cancelled", {"message": "the run was cancelled"})
        return "cancelled"
    if not _transition(db, run_id, ("queued",), status="running", started=now):
        return "skipped"
    append_event(db, run_id, "started", {"run_id": run_id})
    spec = RunSpec.from_dict(request.spec)
    points: list[dict[str, Any]] = []

    def on_point(event: PointEvent) -> None:
        status = _status(db, run_id)
        if status != "running":  # cancelling, or taken over after a server restart
            raise JobCancelled
        point = event.point.model_dump(mode="json")
        points.append(point)
        mark_front(points, list(event.objectives))
        append_event(
            db,
            run_id,
            "round",
            {
                "point": point,
                "front": [p["round"] for p in points if p["on_front"]],
                "round": event.done,
                "rounds": event.total,
            },
        )

    try:
        run = train(spec, on_point=on_point)
        write_run(run, Path(request.run_dir))
    except JobCancelled:
        if _transition(db, run_id, ACTIVE, status="cancelled", finished=datetime.now(UTC)):
            append_event(db, run_id, "cancelled", {"message": "the run was cancelled"})
        return "cancelled"
    except Exception as error:
        log.info("run %s failed: %s", run_id, traceback.format_exc())
        message = failure_message(error)  # no server path, storage faults in words
        if _transition(
            db, run_id, ACTIVE, status="failed", error=message[:2000], finished=datetime.now(UTC)
        ):
            append_event(db, run_id, "error", {"message": message[:2000]})
        return "failed"
    selection = run.selection.model_dump(mode="json")
    summary = {
        "selected_round": run.selected_round,
        "selection": selection,
        "front": run.front.front_rounds,
        "rounds": len(run.front.points),
        "seconds": run.seconds,
    }
    # A cancel that came after the last round has nothing left to stop: the run is done.
    if not _transition(
        db,
        run_id,
        ("running", "cancelling"),
        status="done",
        selection=selection,
        timings=run.seconds,
        finished=datetime.now(UTC),
    ):
        return "superseded"
    append_event(db, run_id, "done", summary)
    return "done"


def _exit_with_parent() -> None:
    """Worker initializer: end this worker when the process that started it dies."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _warm() -> bool:
    """Warm a fresh worker: the boosting family imported now, the others (torch) imported
    and run once on a small warm-up run in a thread, so that a boosting job queued
    behind this waits for no torch import and a multi-task job finds torch set up."""
    from ...datasets import load_dataset  # noqa: F401 - the import is the point
    from ...runs import family_for, warm_up_families

    family_for("boosting")
    threading.Thread(target=warm_up_families, name="warm-up-families", daemon=True).start()
    return True


class Executor(Protocol):
    def submit(self, request: JobRequest) -> Future[Any] | Any: ...

    def shutdown(self) -> None: ...


class LocalExecutor:
    """At most ``max_jobs`` runs at once in worker processes; the rest wait in line."""

    def __init__(self, max_jobs: int) -> None:
        self._max_jobs = max_jobs
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        pool = ProcessPoolExecutor(
            max_workers=self._max_jobs, mp_context=context, initializer=_exit_with_parent
        )
        for _ in range(self._max_jobs):
            pool.submit(_warm)
        return pool

    def submit(self, request: JobRequest) -> Future[Any]:
        try:
            return self._pool.submit(run_job, request)
        except BrokenProcessPool:  # a worker died (killed, out of memory): a fresh pool
            log.warning("the job pool lost a worker; starting a new one")
            self._pool = self._new_pool()
            return self._pool.submit(run_job, request)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class DaskExecutor:
    """Sends jobs to a Dask cluster (``FAIRFRONT_DASK_SCHEDULER``)."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self._client = Client(address, set_as_default=False)

    def submit(self, request: JobRequest) -> Any:
        return self._client.submit(run_job, request, pure=False, key=f"fairfront-{request.run_id}")

    def shutdown(self) -> None:
        self._client.close()


def make_executor(max_jobs: int, dask_scheduler: str | None) -> Executor:
    if dask_scheduler:
        return DaskExecutor(dask_scheduler)
    return LocalExecutor(max_jobs)


Cancel = Callable[[], bool]
