"""What belongs to whom, and removing it: a run's or an upload's files and rows.

Reads and writes are limited to the owner at the API's edge (``api/deps.py``: a run,
dataset or chat session of someone else is "not found"); this module removes things.
"""

from __future__ import annotations

import shutil
import uuid
from typing import Any

from sqlalchemy import delete, select

from ..errors import ConflictError, NotFoundError
from ..store import ChatSessionRecord, Database, EventRecord, RunRecord
from .jobs import TERMINAL
from .runs import RunsService

__all__ = [
    "chat_session",
    "delete_chat_session",
    "new_chat_session",
    "purge_run",
    "upload_in_use",
]

NO_CHAT_SESSION = "no such chat session; open one with POST /api/chat/sessions"


def purge_run(runs: RunsService, run_id: str) -> None:
    """Remove an ended run: its files, its events and its row (409 while it is active)."""
    record = runs.get(run_id)
    if record["status"] not in TERMINAL:
        raise ConflictError(
            f"run {run_id} is {record['status']}; cancel it (DELETE without purge) and "
            "delete it once it has ended",
            field="run_id",
        )
    run_dir = runs.run_dir(run_id)
    if run_dir.exists():
        # Moved aside first, so a half-deleted folder is never read as the run's files.
        doomed = run_dir.with_name(f".deleted-{run_id}-{uuid.uuid4().hex[:8]}")
        run_dir.rename(doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    with runs.db.session() as session:
        session.execute(delete(EventRecord).where(EventRecord.run_id == run_id))
        session.execute(delete(RunRecord).where(RunRecord.id == run_id))
        for chat in session.scalars(
            select(ChatSessionRecord).where(ChatSessionRecord.run_id == run_id)
        ):
            chat.run_id = None
    runs.forget_job(run_id)


def upload_in_use(db: Database, data_path: str) -> bool:
    """True while a queued or running run trains on the upload at ``data_path``."""
    with db.session() as session:
        for record in session.scalars(select(RunRecord).where(RunRecord.status.not_in(TERMINAL))):
            if record.spec.get("data") == data_path:
                return True
    return False


def new_chat_session(db: Database, owner: str) -> dict[str, Any]:
    """A chat session issued by the service to ``owner``."""
    session_id = uuid.uuid4().hex
    with db.session() as session:
        session.add(ChatSessionRecord(id=session_id, setup={}, history=[], owner=owner))
    return {"id": session_id, "history": [], "setup": {}, "run_id": None}


def chat_session(db: Database, session_id: str, owner: str) -> dict[str, Any]:
    """``owner``'s chat session (history, set-up, run); 404 for anyone else's."""
    with db.session() as session:
        record = session.get(ChatSessionRecord, session_id)
        if record is None or record.owner != owner:
            raise NotFoundError(NO_CHAT_SESSION, field="session_id")
        return {
            "id": record.id,
            "history": list(record.history or []),
            "setup": dict(record.setup or {}),
            "run_id": record.run_id,
        }


def delete_chat_session(db: Database, session_id: str, owner: str) -> None:
    """Remove ``owner``'s chat session (its history and set-up; its runs stay the owner's).
    404 for anyone else's, and for one deleted already."""
    with db.session() as session:
        record = session.get(ChatSessionRecord, session_id)
        if record is None or record.owner != owner:
            raise NotFoundError(NO_CHAT_SESSION, field="session_id")
        session.delete(record)
