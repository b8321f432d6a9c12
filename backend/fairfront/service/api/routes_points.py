"""A point of a finished run: its model as ONNX, its card, its explanation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response

from .deps import ServicesDep
from .schemas import ErrorBody, ExplanationPublic

router = APIRouter(prefix="/api/runs/{run_id}/points/{round_}", tags=["points"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such run or round"},
    409: {"model": ErrorBody, "description": "the run is not done, or its files are damaged"},
    503: {"model": ErrorBody, "description": "the store cannot be written"},
    507: {"model": ErrorBody, "description": "the store is full"},
}


@router.get(
    "/model.onnx",
    response_class=Response,
    responses={**RESPONSES, 200: {"content": {"application/octet-stream": {}}}},
)
async def download_model(run_id: str, round_: int, services: ServicesDep) -> Response:
    """The model at this round as one ONNX file: raw columns in, label and probabilities
    out. The bytes sent are the ones whose sha256 was checked against the export's record."""
    data = await run_in_threadpool(services.exports.onnx, run_id, round_)
    name = f"fairfront-{run_id[:8]}-round-{round_}.onnx"
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
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
    if format == "markdown":
        text = await run_in_threadpool(services.exports.card_text, run_id, round_)
        return PlainTextResponse(text, media_type="text/markdown")
    return await run_in_threadpool(services.exports.card, run_id, round_)


@router.get("/explanation", response_model=ExplanationPublic, responses=RESPONSES)
async def explanation(run_id: str, round_: int, services: ServicesDep) -> dict:
    """This trade-off in plain language, from a fact sheet of the point's numbers (by the
    configured LLM when its answer uses only those numbers, else the built-in explainer)."""
    return await run_in_threadpool(services.explanations.explain, run_id, round_)
