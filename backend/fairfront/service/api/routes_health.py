from __future__ import annotations

from fastapi import APIRouter, Request

from ... import __version__
from .deps import get_services
from .schemas import Health

router = APIRouter(tags=["health"])


@router.get("/api/health", response_model=Health)
async def health(request: Request) -> dict:
    """Answered on the event loop itself: no worker thread is needed, so a full thread
    pool (slow LLM calls, uploads) never delays it; nor does a sync dependency."""
    services = get_services(request)
    return {
        "status": "ok",
        "version": __version__,
        "database": services.db.engine.dialect.name,
        "executor": type(services.executor).__name__,
        "llm": services.settings.llm_configured,
    }
