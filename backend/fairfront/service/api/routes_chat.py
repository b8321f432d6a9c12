"""Chat: one message in, the reply and the actions taken out."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from ..llm import llm_turn
from ..services.ownership import chat_session
from .deps import OwnerDep, ServicesDep
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
async def chat(body: ChatRequest, services: ServicesDep, owner: OwnerDep) -> dict:
    """Understand a message (deterministically, or through the configured LLM's function
    calls), change the session's set-up or act on it, and say what happened."""
    # The session must be one the service issued to this owner (404 otherwise).
    await run_in_threadpool(chat_session, services.db, body.session_id, owner)
    with llm_turn(services.settings.llm_deadline):  # one deadline for the whole turn
        return await run_in_threadpool(
            services.chat.handle, body.session_id, body.message, owner=owner
        )
