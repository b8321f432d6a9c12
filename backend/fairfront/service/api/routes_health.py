from __future__ import annotations

from fastapi import APIRouter

from ... import __version__
from .deps import ServicesDep
from .schemas import Health

router = APIRouter(tags=["health"])


@router.get("/api/health", response_model=Health)
def health(services: ServicesDep) -> dict:
    return {
        "status": "ok",
        "version": __version__,
        "database": services.db.engine.dialect.name,
        "executor": type(services.executor).__name__,
        "llm": services.settings.llm_configured,
    }
