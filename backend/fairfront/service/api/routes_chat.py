"""Chat: one message in, the reply and the actions taken out."""

from __future__ import annotations

from functools import partial

import anyio
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from ..llm import llm_turn
from ..services.ownership import chat_session
from .deps import OwnerDep, ServicesDep, get_services
from .schemas import ChatRequest, ChatResponse, ErrorBody

router = APIRouter(prefix="/api/chat", tags=["chat"])


@router.post(
    "",
    response_model=ChatResponse,
    responses={
        404: {"model": ErrorBody, "description": "no such chat session of the caller's"},
        422: {"model": ErrorBody, "description": "a bad session id or message"},
    },
)
async def chat(body: ChatRequest, services: ServicesDep, owner: OwnerDep, request: Request) -> dict:
    """Understand a message (deterministically, or through the configured LLM's function
    calls), change the session's set-up or act on it, and say what happened."""
    # The session must be one the service issued to this owner (404 otherwise).
    await run_in_threadpool(chat_session, services.db, body.session_id, owner)
    turn = partial(services.chat.handle, body.session_id, body.message, owner=owner)
    with llm_turn(services.settings.llm_deadline):  # one deadline for the whole turn
        # At most chat_workers turns at once: many waiting chats never crowd out the
        # threads (and the interpreter) that serve every other route.
        result: dict = await anyio.to_thread.run_sync(turn, limiter=chat_limiter(request))
        return result


def chat_limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter = getattr(state, "chat_limiter", None)
    if limiter is None:
        limiter = state.chat_limiter = anyio.CapacityLimiter(
            get_services(request).settings.chat_workers
        )
    return limiter
