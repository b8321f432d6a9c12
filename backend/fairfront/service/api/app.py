"""The FastAPI application: services built once at start-up, routers, error mapping."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from ... import __version__
from ...runs import import_families
from .. import llm
from ..identity import Identity
from ..services.chat import ChatService
from ..services.datasets import DatasetsService
from ..services.explanations import ExplanationsService
from ..services.exports import ExportsService
from ..services.jobs import make_executor
from ..services.lifecycle import Watchdog
from ..services.runs import RunsService
from ..settings import Settings, get_settings
from ..store import Database
from . import (
    routes_chat,
    routes_datasets,
    routes_health,
    routes_points,
    routes_runs,
    routes_sessions,
    routes_vocabulary,
)
from .deps import Services, owned_path
from .errors import install_error_handlers
from .openapi import install_openapi
from .routes_sessions import UNAUTHORIZED
from .security import SecurityMiddleware

log = logging.getLogger(__name__)


def build_services(settings: Settings, executor: Any = None) -> Services:
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    llm.configure(settings)
    db = Database(settings.sqlalchemy_url)
    db.create_all()
    executor = executor or make_executor(settings.max_jobs, settings.dask_scheduler)
    # The service checks a multi-task spec with its learner's class: import the families
    # now, beside start-up, so that the first such request does not wait for torch.
    threading.Thread(target=import_families, name="import-families", daemon=True).start()
    runs = RunsService(db, settings, executor)
    recovered = runs.recover()
    watchdog = Watchdog(runs, settings.watchdog_seconds).start()
    if recovered:
        log.warning("marked %d interrupted run(s) as failed", recovered)
    datasets = DatasetsService(db, settings)
    exports = ExportsService(runs)
    explanations = ExplanationsService(runs, settings)
    return Services(
        settings=settings,
        db=db,
        datasets=datasets,
        runs=runs,
        executor=executor,
        watchdog=watchdog,
        identity=Identity(settings),
        exports=exports,
        explanations=explanations,
        chat=ChatService(db, settings, datasets, runs, explanations, exports),
    )


def create_app(settings: Settings | None = None, *, executor: Any = None) -> FastAPI:
    """The app; ``executor`` replaces the job executor the settings would make."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings, executor)
        app.state.services = services
        try:
            yield
        finally:
            services.watchdog.stop()
            services.executor.shutdown()
            services.db.dispose()

    app = FastAPI(
        title="fairfront",
        version=__version__,
        description="Train, compare and choose fair classifiers.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(routes_health.router)
    app.include_router(routes_vocabulary.router)  # public: the words the service knows
    app.include_router(routes_sessions.router)
    # Everything else acts for an owner: 401 without a token, 404 for others' things.
    for module in (routes_datasets, routes_runs, routes_points, routes_chat):
        app.include_router(
            module.router, dependencies=[Depends(owned_path)], responses=UNAUTHORIZED
        )
    app.add_middleware(SecurityMiddleware, settings=settings)
    install_openapi(app)  # every error as sent, in the document
    return app
