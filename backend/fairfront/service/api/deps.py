"""Dependencies as ``Annotated`` aliases: routes ask for what they use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from ..errors import NotFoundError
from ..identity import COOKIE, Identity, UnauthorizedError
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
    identity: Identity
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


# ----- owners ------------------------------------------------------------------------
def request_token(request: Request) -> str | None:
    """The owner token a request carries: ``Authorization: Bearer`` or the cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE)


# Declared so that the OpenAPI document says how to authenticate (one of the two);
# :func:`request_token` reads them.
BEARER = HTTPBearer(auto_error=False, description="the token from POST /api/sessions")
OWNER_COOKIE = APIKeyCookie(
    name=COOKIE, auto_error=False, description="the httpOnly cookie POST /api/sessions sets"
)


def get_owner(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    _cookie: Annotated[str | None, Security(OWNER_COOKIE)] = None,
) -> str:
    """The owner this request acts for; 401 without a valid token."""
    owner = get_services(request).identity.owner_of(request_token(request))
    if owner is None:
        raise UnauthorizedError(
            "no session: open one with POST /api/sessions and send its token as "
            "'Authorization: Bearer <token>' (or keep its cookie)"
        )
    return owner


OwnerDep = Annotated[str, Depends(get_owner)]


def owned_path(request: Request, owner: OwnerDep) -> None:
    """Router dependency: the run or dataset named in the path is the owner's, else 404
    (someone else's thing is indistinguishable from no thing)."""
    services = get_services(request)
    run_id = request.path_params.get("run_id")
    if run_id is not None and services.runs.owner_of(run_id) != owner:
        raise NotFoundError(f"no run {run_id!r}", field="run_id")
    dataset_id = request.path_params.get("dataset_id")
    if dataset_id is not None:
        services.datasets.path_for(dataset_id, owner)  # 404 unless built in or the owner's
