"""The vocabulary: notions, performance metrics, learners and built-in datasets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...vocabulary import describe

router = APIRouter(prefix="/api/vocabulary", tags=["vocabulary"])


@router.get("")
def vocabulary() -> dict[str, Any]:
    """Names, labels, short labels, aliases and conventions: what the page labels charts
    with and what the run schema's choices are derived from."""
    return describe()
