"""Training jobs: run outside the request, in local processes or on a Dask cluster.

A job trains one run of any learner family through :func:`fairfront.runs.train` and
appends its events (one ``round`` per point -- a boosting round, or a multi-task
(setting, epoch) -- then ``done``, ``error`` or ``cancelled``) to the store, so that
any number of clients can follow or replay them. Jobs write through their own database
connection; with SQLite that is the same file (WAL mode), with a server database any
worker that can reach it.

A run of several parts (a sweep's settings, :func:`fairfront.runs.parts`) is one job
per part (:func:`run_part`), all at once on the executor's workers, each streaming its
points into the run's one event stream; when every part is back, :func:`finish_parts`
joins them into the union front, selects once over it and writes the run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import threading
import time
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
from sqlalchemy.exc import IntegrityError, OperationalError

from ...fronts import mark_front
from ...runs import PointEvent, RunSpec, TrainedRun, combine_parts, train, train_part, write_run
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


_APPEND_TRIES = 50


def append_event(db: Database, run_id: str, kind: str, data: dict[str, Any]) -> int:
    """Store the run's next event; returns its sequence number (the SSE id).

    Several processes may append to one run at once (a sweep's parts, a cancel): a
    sequence number another writer took first (the unique index refuses it), or a
    SQLite snapshot that went stale, is tried again with the next number.
    """
    for attempt in range(_APPEND_TRIES):
        try:
            with db.session() as session:
                last = session.scalar(
                    select(func.max(EventRecord.seq)).where(EventRecord.run_id == run_id)
                )
                seq = (last or 0) + 1
                session.add(EventRecord(run_id=run_id, seq=seq, kind=kind, data=data))
            return seq
        except (IntegrityError, OperationalError):
            if attempt == _APPEND_TRIES - 1:
                raise
            time.sleep(random.uniform(0.001, 0.01) * (1 + attempt))  # noqa: S311 - jitter
    raise AssertionError("unreachable")  # pragma: no cover


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


def _start(db: Database, run_id: str, *, part: bool = False) -> str | None:
    """Move a queued run to running; ``None`` to go on, else how the job ends now.

    A part finds the run already running when another part started it first."""
    now = datetime.now(UTC)
    if _transition(db, run_id, ("cancelling",), status="cancelled", finished=now):
        append_event(db, run_id, "cancelled", {"message": "the run was cancelled"})
        return "cancelled"
    if _transition(db, run_id, ("queued",), status="running", started=now):
        append_event(db, run_id, "started", {"run_id": run_id})
        return None
    if part and _status(db, run_id) == "running":
        return None
    return "skipped"


def _recorder(db: Database, run_id: str, **more: Any) -> Callable[[PointEvent], None]:
    """The ``on_point`` of a job: each point becomes a ``round`` event (with the rounds
    on the front of this job's points so far); a run no longer running stops the job."""
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
                "objectives": list(event.objectives),
                "round": event.done,
                "rounds": event.total,
                **more,
            },
        )

    return on_point


def _ended_by(db: Database, run_id: str, error: BaseException) -> str:
    """End the run after ``error`` stopped its job: cancelled, or failed in words."""
    if isinstance(error, JobCancelled):
        if _transition(db, run_id, ACTIVE, status="cancelled", finished=datetime.now(UTC)):
            append_event(db, run_id, "cancelled", {"message": "the run was cancelled"})
        return "cancelled"
    log.info("run %s failed: %s", run_id, "".join(traceback.format_exception(error)))
    message = failure_message(error)[:2000]  # no server path, storage faults in words
    if _transition(db, run_id, ACTIVE, status="failed", error=message, finished=datetime.now(UTC)):
        append_event(db, run_id, "error", {"message": message})
    return "failed"


def _done(db: Database, run_id: str, run: TrainedRun) -> str:
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


def run_job(request: JobRequest) -> str:
    """Train one run, streaming its points into the store. Runs in a worker."""
    db = _database(request.database_url)
    run_id = request.run_id
    ended = _start(db, run_id)
    if ended is not None:
        return ended
    try:
        run = train(RunSpec.from_dict(request.spec), on_point=_recorder(db, run_id))
        write_run(run, Path(request.run_dir))
    except Exception as error:
        return _ended_by(db, run_id, error)
    return _done(db, run_id, run)


def run_part(request: JobRequest, index: int) -> Any:
    """Fit part ``index`` of a run (a sweep's setting), streaming its points; returns the
    part's fit for :func:`finish_parts`, or ``None`` when the run ended (cancelled, failed:
    the first part to fail ends the run, and the others stop at their next point)."""
    db = _database(request.database_url)
    run_id = request.run_id
    if _start(db, run_id, part=True) is not None:
        return None
    spec = RunSpec.from_dict(request.spec)
    try:
        return train_part(spec, index, on_point=_recorder(db, run_id, part=index))
    except Exception as error:
        _ended_by(db, run_id, error)
        return None


def finish_parts(request: JobRequest, fitted: Sequence[Any]) -> str:
    """Join the parts' fits into one run (union front, one selection), write it, end it."""
    db = _database(request.database_url)
    run_id = request.run_id
    if any(part is None for part in fitted) or _status(db, run_id) not in ACTIVE:
        if _status(db, run_id) in ACTIVE:  # a part stopped: the run stops with it
            _ended_by(db, run_id, JobCancelled())
        return str(_status(db, run_id))
    try:
        run = combine_parts(RunSpec.from_dict(request.spec), list(fitted))
        write_run(run, Path(request.run_dir))
    except Exception as error:
        return _ended_by(db, run_id, error)
    return _done(db, run_id, run)


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

    def submit_parts(self, request: JobRequest, parts: int) -> Future[Any] | Any:
        """One job per part, all at once, then :func:`finish_parts`; the future of the
        finishing job (what the watchdog follows)."""

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

    def _submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        try:
            return self._pool.submit(function, *args)
        except BrokenProcessPool:  # a worker died (killed, out of memory): a fresh pool
            log.warning("the job pool lost a worker; starting a new one")
            self._pool = self._new_pool()
            return self._pool.submit(function, *args)

    def submit(self, request: JobRequest) -> Future[Any]:
        return self._submit(run_job, request)

    def submit_parts(self, request: JobRequest, parts: int) -> Future[Any]:
        """The parts go to the pool at once (``max_jobs`` of them run together); when the
        last is back, the finishing job is queued. The future returned ends with it."""
        outcome: Future[Any] = Future()
        futures = [self._submit(run_part, request, index) for index in range(parts)]
        remaining = [len(futures)]
        lock = threading.Lock()

        def part_done(_: Future[Any]) -> None:
            with lock:
                remaining[0] -= 1
                if remaining[0]:
                    return
            lost = [f.exception() for f in futures if not f.cancelled() and f.exception()]
            if lost:  # a worker died mid-part: the watchdog ends the run as failed
                outcome.set_exception(lost[0])
                return
            try:
                fitted = [None if f.cancelled() else f.result() for f in futures]
                finishing = self._submit(finish_parts, request, fitted)
            except Exception as error:  # no pool to finish in: the watchdog ends the run
                outcome.set_exception(error)
                return
            finishing.add_done_callback(lambda f: _chain(f, outcome))

        for future in futures:
            future.add_done_callback(part_done)

        def cancel_parts(done: Future[Any]) -> None:
            if done.cancelled():  # a run cancelled while queued: so are its parts
                for future in futures:
                    future.cancel()

        outcome.add_done_callback(cancel_parts)
        return outcome

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class DaskExecutor:
    """Sends jobs to a Dask cluster (``FAIRFRONT_DASK_SCHEDULER``)."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self._client = Client(address, set_as_default=False)

    def submit(self, request: JobRequest) -> Any:
        return self._client.submit(run_job, request, pure=False, key=f"fairfront-{request.run_id}")

    def submit_parts(self, request: JobRequest, parts: int) -> Any:
        """The parts on the cluster's workers at once; Dask runs the finishing job when
        every part's result is in, wherever they are."""
        key = f"fairfront-{request.run_id}"
        futures = [
            self._client.submit(run_part, request, index, pure=False, key=f"{key}-part-{index}")
            for index in range(parts)
        ]
        return self._client.submit(finish_parts, request, futures, pure=False, key=key)

    def shutdown(self) -> None:
        self._client.close()


def _chain(source: Future[Any], target: Future[Any]) -> None:
    """Give ``target`` the outcome of ``source`` (unless it was cancelled meanwhile)."""
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


def make_executor(max_jobs: int, dask_scheduler: str | None) -> Executor:
    if dask_scheduler:
        return DaskExecutor(dask_scheduler)
    return LocalExecutor(max_jobs)


Cancel = Callable[[], bool]
