"""Dependencies as ``Annotated`` aliases: routes ask for what they use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from ..services.chat import ChatService
from ..services.datasets import DatasetsService
from ..services.explanations import ExplanationsService
from ..services.exports import ExportsService
from ..services.lifecycle import Watchdog
from ..services.runs import RunsService
from ..settings import Settings
from ..store import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    datasets: DatasetsService
    runs: RunsService
    executor: Any
    watchdog: Watchdog
    exports: ExportsService
    explanations: ExplanationsService
    chat: ChatService


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_runs(request: Request) -> RunsService:
    return get_services(request).runs


def get_datasets(request: Request) -> DatasetsService:
    return get_services(request).datasets


def get_settings_dep(request: Request) -> Settings:
    return get_services(request).settings


ServicesDep = Annotated[Services, Depends(get_services)]
RunsDep = Annotated[RunsService, Depends(get_runs)]
DatasetsDep = Annotated[DatasetsService, Depends(get_datasets)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
