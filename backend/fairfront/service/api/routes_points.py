"""A point of a finished run: its model as ONNX, its card, its explanation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, PlainTextResponse

from .deps import ServicesDep
from .schemas import ErrorBody, ExplanationPublic

router = APIRouter(prefix="/api/runs/{run_id}/points/{round_}", tags=["points"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such run or round"},
    409: {"model": ErrorBody, "description": "the run is not done"},
}


@router.get(
    "/model.onnx",
    response_class=FileResponse,
    responses={**RESPONSES, 200: {"content": {"application/octet-stream": {}}}},
)
async def download_model(run_id: str, round_: int, services: ServicesDep) -> FileResponse:
    """The model at this round as one ONNX file: raw columns in, label and probabilities out."""
    onnx_path, _, _ = await run_in_threadpool(services.exports.files, run_id, round_)
    return FileResponse(
        onnx_path,
        media_type="application/octet-stream",
        filename=f"fairfront-{run_id[:8]}-round-{round_}.onnx",
    )


@router.get(
    "/model-card",
    responses={**RESPONSES, 200: {"content": {"application/json": {}, "text/markdown": {}}}},
)
async def model_card(
    run_id: str,
    round_: int,
    services: ServicesDep,
    format: Annotated[Literal["json", "markdown"], Query()] = "json",
) -> Any:
    """The model card: inputs, groups, learner, the point and the rule, metrics by group."""
    _, card_json, card_md = await run_in_threadpool(services.exports.files, run_id, round_)
    if format == "markdown":
        return PlainTextResponse(card_md.read_text(encoding="utf-8"), media_type="text/markdown")
    return await run_in_threadpool(services.exports.card, run_id, round_)


@router.get("/explanation", response_model=ExplanationPublic, responses=RESPONSES)
async def explanation(run_id: str, round_: int, services: ServicesDep) -> dict:
    """This trade-off in plain language, from a fact sheet of the point's numbers (by the
    configured LLM when its answer uses only those numbers, else the built-in explainer)."""
    return await run_in_threadpool(services.explanations.explain, run_id, round_)
