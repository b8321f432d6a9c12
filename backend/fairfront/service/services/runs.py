"""Runs: create and queue jobs, follow their events, select points, read fronts."""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ...fronts import (
    SelectionError,
    SelectionRule,
    mark_selected,
)
from ...fronts import (
    select as select_point,
)
from ...training import RunSpec, build_learner
from ..errors import ConflictError, InvalidRequestError, NotFoundError
from ..settings import Settings
from ..storage import checked_front as read_front  # 409 for damaged files, never a 500
from ..store import Database, EventRecord, RunRecord
from .jobs import ACTIVE, TERMINAL, Executor, JobRequest, append_event
from .lifecycle import check_capacity

log = logging.getLogger(__name__)


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive datetimes for what was written as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


class RunsService:
    def __init__(self, db: Database, settings: Settings, executor: Executor) -> None:
        self.db = db
        self.settings = settings
        self.executor = executor
        self.runs_dir = settings.models_dir / "runs"
        self._futures: dict[str, Any] = {}
        # Live fronts of training runs: (last event seen, points, rounds on the front).
        self._live: dict[str, tuple[int, list[dict[str, Any]], list[int]]] = {}
        self._live_lock = threading.Lock()

    # ----- lifecycle ------------------------------------------------------------
    def recover(self) -> int:
        """Mark runs left unfinished by a stopped server as failed; returns how many."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            stale = list(session.scalars(select(RunRecord).where(RunRecord.status.in_(ACTIVE))))
            for record in stale:
                record.status = "failed"
                record.error = "the server stopped while this run was in progress"
                record.finished = now
            ids = [r.id for r in stale]
        for run_id in ids:
            message = {"message": "the server stopped during this run"}
            append_event(self.db, run_id, "error", message)
        return len(ids)

    def create(
        self, spec: RunSpec, *, dataset_label: str, owner: str | None = None
    ) -> dict[str, Any]:
        """Check the spec, store the run, queue its job; returns at once."""
        try:
            build_learner(spec)
        except ValueError as error:
            field = "params" if "parameter" in str(error) else "learner"
            raise InvalidRequestError(str(error), field=field) from error
        check_capacity(self.db, self.settings.max_queued)  # 429 past the queue cap
        run_id = uuid.uuid4().hex
        record = RunRecord(
            id=run_id,
            status="queued",
            spec={**spec.to_dict(), "dataset": dataset_label},
            timings={},
            owner=owner,
        )
        with self.db.session() as session:
            session.add(record)
        request = JobRequest(
            run_id=run_id,
            spec=spec.to_dict(),
            database_url=self.settings.sqlalchemy_url,
            run_dir=str(self.run_dir(run_id)),
        )
        try:
            self._futures[run_id] = self.executor.submit(request)
        except Exception as error:  # no worker to take it: the run ends here, in words
            log.exception("run %s could not be queued", run_id)
            with self.db.session() as session:
                current = session.get(RunRecord, run_id)
                if current is not None:
                    current.status = "failed"
                    current.error = f"the run could not be started ({type(error).__name__})"
                    current.finished = datetime.now(UTC)
            append_event(self.db, run_id, "error", {"message": "the run could not be started"})
            return self.get(run_id)
        return self.public(record)

    def jobs(self) -> dict[str, Any]:
        """The futures of the jobs this process started, by run id (a copy)."""
        return dict(self._futures)

    def forget_job(self, run_id: str) -> None:
        self._futures.pop(run_id, None)

    def cancel(self, run_id: str) -> dict[str, Any]:
        record = self._record(run_id)
        if record.status in TERMINAL:
            raise ConflictError(f"run {run_id} has already ended ({record.status})")
        future = self._futures.get(run_id)
        with self.db.session() as session:
            current = session.get(RunRecord, run_id)
            assert current is not None  # noqa: S101 - looked up above
            if current.status == "queued" and future is not None and future.cancel():
                current.status = "cancelled"
                current.finished = datetime.now(UTC)
                cancelled_now = True
            else:
                current.status = "cancelling"
                cancelled_now = False
        if cancelled_now:
            append_event(self.db, run_id, "cancelled", {"message": "the run was cancelled"})
        return self.get(run_id)

    # ----- reading --------------------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def _record(self, run_id: str) -> RunRecord:
        with self.db.session() as session:
            record = session.get(RunRecord, run_id)
            if record is None:
                raise NotFoundError(f"no run {run_id!r}", field="run_id")
            return record

    def public(self, record: RunRecord) -> dict[str, Any]:
        spec = dict(record.spec)
        spec.pop("data", None)  # a server-side path for uploads: not for clients
        return {
            "id": record.id,
            "status": record.status,
            "spec": spec,
            "error": record.error,
            "selection": record.selection,
            "timings": record.timings or {},
            "created": _iso(record.created),
            "started": _iso(record.started),
            "finished": _iso(record.finished),
        }

    def get(self, run_id: str) -> dict[str, Any]:
        return self.public(self._record(run_id))

    def recent(self, limit: int = 100, owner: str | None = None) -> list[dict[str, Any]]:
        """``owner``'s runs, newest first."""
        with self.db.session() as session:
            records = session.scalars(
                select(RunRecord)
                .where(RunRecord.owner == owner)
                .order_by(RunRecord.created.desc())
                .limit(limit)
            )
            return [self.public(r) for r in records]

    def owner_of(self, run_id: str) -> str | None:
        """The run's owner; :class:`NotFoundError` when there is no such run."""
        return self._record(run_id).owner

    def events(self, run_id: str, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        with self.db.session() as session:
            rows = session.scalars(
                select(EventRecord)
                .where(EventRecord.run_id == run_id, EventRecord.seq > after)
                .order_by(EventRecord.seq)
                .limit(limit)
            )
            return [{"seq": e.seq, "kind": e.kind, "data": e.data} for e in rows]

    def front(self, run_id: str) -> dict[str, Any]:
        """The run's points: the finished ``front.json``, or the live points so far."""
        record = self._record(run_id)
        if record.status == "done":
            with self._live_lock:
                self._live.pop(run_id, None)
            front = read_front(self.run_dir(run_id))
            if record.selection and record.selection.get("by") == "user":
                mark_selected(front["points"], int(record.selection["round"]) - 1)
                front["selection"] = record.selection
            return front
        with self._live_lock:
            seen, points, front_rounds = self._live.get(run_id, (0, [], []))
        new = self.events(run_id, seen, 10_000)
        rounds = [e for e in new if e["kind"] == "round"]
        if new:
            points = points + [e["data"]["point"] for e in rounds]
            front_rounds = list(rounds[-1]["data"]["front"]) if rounds else front_rounds
            with self._live_lock:
                self._live[run_id] = (new[-1]["seq"], points, front_rounds)
        on_front = set(front_rounds)
        return {
            "format": "fairfront.front/1",
            "status": record.status,
            "notions": list(record.spec.get("notions", ["eo"])),
            "selection": None,
            "front_rounds": front_rounds,
            "points": [{**p, "on_front": p["round"] in on_front} for p in points],
        }

    def select(self, run_id: str, rule: SelectionRule) -> dict[str, Any]:
        """Choose a point of a finished run by round or rule; remembered on the run."""
        record = self._record(run_id)
        if record.status != "done":
            raise ConflictError(f"run {run_id} is {record.status}; points can be chosen once done")
        front = read_front(self.run_dir(run_id))
        try:
            chosen = select_point(front["points"], rule, front["notions"])
        except (SelectionError, ValueError) as error:
            raise InvalidRequestError(str(error), field="rule") from error
        selection = {
            "round": chosen.round,
            "rule": rule.to_dict(),
            "reason": chosen.reason,
            "by": "user",
        }
        with self.db.session() as session:
            current = session.get(RunRecord, run_id)
            assert current is not None  # noqa: S101 - looked up above
            current.selection = selection
        point = front["points"][chosen.index]
        return {"selection": selection, "point": point}

    def point(self, run_id: str, round_: int) -> dict[str, Any]:
        record = self._record(run_id)
        if record.status != "done":
            raise ConflictError(f"run {run_id} is {record.status}; wait until it is done")
        points = read_front(self.run_dir(run_id))["points"]
        if not 1 <= round_ <= len(points):
            raise NotFoundError(
                f"run {run_id} has rounds 1 to {len(points)}; there is no round {round_}",
                field="round",
            )
        point: dict[str, Any] = points[round_ - 1]
        return point

    def delete_files(self, run_id: str) -> None:
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
