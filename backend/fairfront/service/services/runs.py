"""Runs: create and queue jobs, follow their events, select points, read fronts."""

from __future__ import annotations

import logging
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ...datasets import DatasetError
from ...fronts import (
    Front,
    FrontSelection,
    Point,
    SelectionError,
    SelectionRule,
    mark_front,
)
from ...fronts import select as select_point
from ...metrics import NOTIONS
from ...runs import RunSpec, SpecError, check, parts
from ...vocabulary import LEARNERS
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
        """Check the spec (and, for multi-task runs, the tasks against the data), store the
        run, queue its job; returns at once. A spec that cannot run is a 422, no job."""
        try:
            check(spec, data=True)
        except SpecError as error:
            raise InvalidRequestError(str(error), field=error.field) from error
        except DatasetError:
            raise
        except ValueError as error:  # a parameter value out of the learner's range
            raise InvalidRequestError(str(error), field="params") from error
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
            count = parts(spec)
            self._futures[run_id] = (
                self.executor.submit_parts(request, count)
                if count > 1
                else self.executor.submit(request)
            )
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

    def front(self, run_id: str) -> Front:
        """The run's front, typed (see :meth:`front_document`)."""
        return Front.model_validate(self.front_document(run_id))

    def front_document(self, run_id: str) -> dict[str, Any]:
        """The run's points as JSON: the finished ``front.json``, or the points so far.

        A live front is read from the store's events on every call (any worker process
        answers the same; nothing is kept between calls); the events hold points already
        in the :class:`~fairfront.fronts.Point` shape, and the front is drawn over all of
        them (a sweep's parts stream into one run), so it is the union front so far.
        """
        record = self._record(run_id)
        if record.status == "done":
            front = read_front(self.run_dir(run_id)).model_copy(update={"status": "done"})
            if record.selection and record.selection.get("by") == "user":
                front = self._with_selection(front, FrontSelection.model_validate(record.selection))
            return front.model_dump(mode="json")
        with self.db.session() as session:
            rows = session.scalars(
                select(EventRecord.data)
                .where(EventRecord.run_id == run_id, EventRecord.kind == "round")
                .order_by(EventRecord.seq)
            ).all()
        points = sorted((dict(r["point"]) for r in rows), key=lambda p: p["round"])
        spec = record.spec
        objectives = rows[-1].get("objectives", spec.get("notions", ["eo"])) if rows else []
        mark_front(points, objectives)  # over every point so far: all of a sweep's parts
        on_front = {p["round"] for p in points if p["on_front"]}
        first = points[0]["validation"] if points else {}
        notions = [n for n in NOTIONS if n in first]
        term = LEARNERS.get(str(spec.get("learner")))
        document: dict[str, Any] = {
            "format": "fairfront.front/1",
            "kind": term.family if term is not None else "boosting",
            "status": record.status,
            "dataset": spec.get("dataset"),
            "protected": [],
            "learner": spec.get("learner"),
            "notions": notions or list(spec.get("notions", ["eo"])),
            "notion_labels": {n: NOTIONS[n].label for n in notions},
            "selection": None,
            "front_rounds": sorted(on_front),
            "baseline": None,
            "references": [],
            "points": points,
        }
        if rows:
            document["total"] = rows[-1]["rounds"]
        if points and points[0].get("tasks"):
            document["tasks"] = [{"name": t} for t in points[0]["tasks"]]
        return document

    def selected_round(self, run_id: str) -> int:
        """The round of the run's chosen point (the user's choice, else the run's rule)."""
        selection = self.front(run_id).selection
        if selection is None:
            raise ConflictError(f"run {run_id} has no chosen point yet")
        return selection.round

    @staticmethod
    def _with_selection(front: Front, selection: FrontSelection) -> Front:
        points = [
            p.model_copy(update={"selected": p.round == selection.round}) for p in front.points
        ]
        return front.model_copy(update={"selection": selection, "points": points})

    def select(self, run_id: str, rule: SelectionRule) -> dict[str, Any]:
        """Choose a point of a finished run by round or rule; remembered on the run.

        Returns ``{"selection": ..., "point": ...}`` as JSON (the SelectResponse shape)."""
        record = self._record(run_id)
        if record.status != "done":
            raise ConflictError(f"run {run_id} is {record.status}; points can be chosen once done")
        front = read_front(self.run_dir(run_id))
        points = [p.model_dump(mode="json") for p in front.points]
        try:
            chosen = select_point(points, rule, front.notions)
        except (SelectionError, ValueError) as error:
            raise InvalidRequestError(str(error), field="rule") from error
        picked = front.points[chosen.index]
        selection = FrontSelection(
            round=chosen.round,
            rule=rule.to_dict(),
            reason=chosen.reason,
            by="user",
            epoch=picked.epoch,
            setting=picked.setting,
        )
        with self.db.session() as session:
            current = session.get(RunRecord, run_id)
            assert current is not None  # noqa: S101 - looked up above
            current.selection = selection.model_dump(mode="json")
        point = picked.model_copy(update={"selected": True})
        return {
            "selection": selection.model_dump(mode="json"),
            "point": point.model_dump(mode="json"),
        }

    def point(self, run_id: str, round_: int) -> Point:
        record = self._record(run_id)
        if record.status != "done":
            raise ConflictError(f"run {run_id} is {record.status}; wait until it is done")
        points = read_front(self.run_dir(run_id)).points
        if not 1 <= round_ <= len(points):
            raise NotFoundError(
                f"run {run_id} has rounds 1 to {len(points)}; there is no round {round_}",
                field="round",
            )
        return points[round_ - 1]

    def delete_files(self, run_id: str) -> None:
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
