"""Sessions: who the caller is. ``POST /api/sessions`` issues an owner and its token;
every other route (but health) needs that token, as ``Authorization: Bearer <token>``
or the httpOnly cookie set here. Chat sessions are issued to an owner too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ..identity import COOKIE
from ..services.ownership import chat_session, delete_chat_session, new_chat_session
from .deps import OwnerDep, ServicesDep
from .schemas import ErrorBody

router = APIRouter(tags=["sessions"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid session token"}
}


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    access_token: str | None = Field(
        default=None, max_length=500, description="needed when the service has one set"
    )


class SessionPublic(BaseModel):
    owner: str = Field(max_length=64)
    token: str = Field(max_length=200, description="send as 'Authorization: Bearer <token>'")


class OwnerPublic(BaseModel):
    owner: str = Field(max_length=64)
    access_token_required: bool


class ChatSessionPublic(BaseModel):
    id: str = Field(max_length=64)
    history: list[dict[str, Any]]
    setup: dict[str, Any]
    run_id: str | None = Field(default=None, max_length=32)


@router.post("/api/sessions", status_code=201, response_model=SessionPublic, responses=UNAUTHORIZED)
def open_session(
    services: ServicesDep, response: Response, body: SessionCreate | None = None
) -> dict:
    """A new owner and its token (also set as an httpOnly, SameSite=Strict cookie). When
    the service has an access token, the body must carry it."""
    owner, token = services.identity.issue(body.access_token if body else None)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", path="/api", max_age=400 * 86400
    )
    return {"owner": owner, "token": token}


@router.get("/api/sessions/me", response_model=OwnerPublic, responses=UNAUTHORIZED)
def who_am_i(owner: OwnerDep, request: Request, services: ServicesDep) -> dict:
    """The owner of the token sent (401 when it is missing or not one of ours)."""
    return {"owner": owner, "access_token_required": services.identity.needs_access_token}


@router.post(
    "/api/chat/sessions", status_code=201, response_model=ChatSessionPublic, responses=UNAUTHORIZED
)
async def open_chat_session(owner: OwnerDep, services: ServicesDep) -> dict:
    """A new chat session of the caller; its id goes with every chat message."""
    return await run_in_threadpool(new_chat_session, services.db, owner)


@router.get(
    "/api/chat/sessions/{session_id}",
    response_model=ChatSessionPublic,
    responses={**UNAUTHORIZED, 404: {"model": ErrorBody, "description": "no such session"}},
)
def get_chat_session(session_id: str, owner: OwnerDep, services: ServicesDep) -> dict:
    """The session's history, set-up and run (to show it again after a reload)."""
    return chat_session(services.db, session_id, owner)


@router.delete(
    "/api/chat/sessions/{session_id}",
    status_code=204,
    responses={
        **UNAUTHORIZED,
        404: {
            "model": ErrorBody,
            "description": "no such session of the caller's; also for one deleted already "
            "(deleting twice leaves the same state: the session is gone)",
        },
    },
)
def delete_chat(session_id: str, owner: OwnerDep, services: ServicesDep) -> Response:
    """Forget a chat session: its history and set-up. The runs it started stay (they are
    the owner's, listed by GET /api/runs)."""
    delete_chat_session(services.db, session_id, owner)
    return Response(status_code=204)
