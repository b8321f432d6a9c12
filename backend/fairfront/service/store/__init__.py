"""Persistence: SQLAlchemy tables (SQLite by default) and artifact files."""

from ._db import Database
from ._models import Base, ChatSessionRecord, DatasetRecord, EventRecord, RunRecord

__all__ = ["Base", "ChatSessionRecord", "Database", "DatasetRecord", "EventRecord", "RunRecord"]
