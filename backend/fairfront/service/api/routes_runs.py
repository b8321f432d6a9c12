"""Runs: create, list, read, cancel, follow (SSE), front, select, points."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ...fronts import Constraint, Point, SelectionRule
from ...runs import RunSpec
from ..errors import InvalidRequestError
from ..services.jobs import TERMINAL
from ..services.ownership import purge_run
from ..services.runs import RunsService
from .deps import DatasetsDep, OwnerDep, RunsDep
from .schemas import ErrorBody, FrontPublic, RunCreate, RunPublic, RunsPublic, SelectRequest
from .schemas import SelectResponse as SelectResponseBody

router = APIRouter(prefix="/api/runs", tags=["runs"])

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "no such run"}}
INVALID: Responses = {422: {"model": ErrorBody, "description": "invalid input; `field` names it"}}
CONFLICT: Responses = {409: {"model": ErrorBody, "description": "the run's state forbids this"}}
FINAL_EVENTS = ("done", "error", "cancelled")
EVENT_ID = re.compile(r"[0-9]{1,18}")
POLL_SECONDS = 0.1
CHECKED = {"target", "positive", "protected", "target_rule", "drop", "keep", "test_size"}
STATUS_EVERY = 10
"""Idle polls between looks at the run's status (a run that ended without a final event)."""


def _ended(runs: RunsService, run_id: str, after: int) -> bool:
    """True when the run has ended and has no event after ``after``."""
    return runs.get(run_id)["status"] in TERMINAL and not runs.events(run_id, after, 1)


@router.post(
    "",
    status_code=202,
    response_model=RunPublic,
    responses={
        **INVALID,
        **NOT_FOUND,
        429: {"model": ErrorBody, "description": "too many runs queued or running"},
        503: {"model": ErrorBody, "description": "the store cannot be written"},
        507: {"model": ErrorBody, "description": "the store is full"},
    },
)
def create_run(body: RunCreate, runs: RunsDep, datasets: DatasetsDep, owner: OwnerDep) -> dict:
    """Queue a run of any learner; returns its id at once. Follow it at
    ``/api/runs/{id}/events``. Multi-task learners (fairbranch, l2t_fmt, mtl) take ``tasks``
    (two or more binary columns) and ``epochs``. A ``sweep`` tries several parameter
    settings in one run (mmm_fair, fair_gbm, multi-task: each setting a parallel job, its
    points streamed into the run's one front). A spec that cannot run (a task that is not binary
    or is protected, one task, a parameter the learner lacks or cannot sweep) is a 422
    before any job starts."""
    data = datasets.path_for(body.dataset, owner)  # a built-in or one of the caller's uploads
    if not body.tasks:  # a single-task request, checked against the dataset's profile
        datasets.check_run(
            body.dataset, owner=owner, **body.model_dump(include=CHECKED), seed=body.seed
        )
    for text in body.constraints:
        try:
            Constraint.parse(text)
        except ValueError as error:
            raise InvalidRequestError(str(error), field="constraints") from error
    tasks = body.tasks or []
    spec = RunSpec(
        data=data,
        target=body.target,
        positive=body.positive,
        protected=body.protected,
        drop=list(body.drop),
        keep=list(body.keep),
        target_rule=body.target_rule,
        learner=body.learner,
        notions=list(body.notions),
        rounds=body.rounds,
        constraints=list(body.constraints),
        params=body.params.model_dump(exclude_none=True),
        test_size=body.test_size,
        random_state=body.seed,
        baseline=body.baseline,
        tasks=[t.name for t in tasks] or None,
        positives={t.name: t.positive for t in tasks if t.positive is not None},
        epochs=body.epochs,
        sweep={name: list(values) for name, values in body.sweep.items()},
    )
    return runs.create(spec, dataset_label=body.dataset, owner=owner)


@router.get("", response_model=RunsPublic)
def list_runs(
    runs: RunsDep, owner: OwnerDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict:
    """The caller's runs, newest first."""
    return {"runs": runs.recent(limit, owner)}


@router.get("/{run_id}", response_model=RunPublic, responses=NOT_FOUND)
def get_run(run_id: str, runs: RunsDep) -> dict:
    return runs.get(run_id)


@router.delete(
    "/{run_id}",
    response_model=None,
    responses={
        **NOT_FOUND,
        **CONFLICT,
        200: {"model": RunPublic, "description": "cancelled (or cancelling)"},
        204: {"description": "purged: the run's files and rows are gone"},
    },
)
def cancel_run(
    run_id: str,
    runs: RunsDep,
    purge: Annotated[bool, Query(description="remove the ended run's files and rows")] = False,
) -> Any:
    """Without ``purge``: cancel a queued or running run (a running one stops after its
    current round; 409 once it has ended). With ``purge=true``: delete an ended run, its
    files, events and row (409 while it is still active: cancel it first)."""
    if purge:
        purge_run(runs, run_id)
        return Response(status_code=204)
    return runs.cancel(run_id)


@router.get(
    "/{run_id}/events",
    response_model=None,
    responses={
        **NOT_FOUND,
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        204: {"description": "the run has ended and every event was sent already"},
    },
)
async def follow_run(
    run_id: str,
    runs: RunsDep,
    request: Request,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> Response:
    """Every stored event after ``Last-Event-ID``, then new ones as they come: ``started``,
    one ``round`` per round (the new point and the current front), then ``done``, ``error``
    or ``cancelled``."""
    run = await run_in_threadpool(runs.get, run_id)  # 404 before the stream starts
    after = int(last_event_id) if last_event_id and EVENT_ID.fullmatch(last_event_id) else 0
    if run["status"] in TERMINAL and not await run_in_threadpool(runs.events, run_id, after, 1):
        # Everything was sent already: 204 tells an EventSource to stop reconnecting.
        return Response(status_code=204)

    async def stream() -> AsyncIterator[bytes]:
        nonlocal after
        idle = 0
        yield b"retry: 1000\n\n"
        while True:
            events = await run_in_threadpool(runs.events, run_id, after)
            for event in events:
                after = event["seq"]
                payload = json.dumps(event["data"], separators=(",", ":"))
                yield f"id: {event['seq']}\nevent: {event['kind']}\ndata: {payload}\n\n".encode()
                if event["kind"] in FINAL_EVENTS:
                    return
            if await request.is_disconnected():
                return
            if not events:
                idle += 1
                if idle % STATUS_EVERY == 0 and await run_in_threadpool(
                    _ended, runs, run_id, after
                ):
                    return  # ended without a final event still to send: the stream ends too
                await asyncio.sleep(POLL_SECONDS)
            else:
                idle = 0

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{run_id}/front", response_model=FrontPublic, responses={**NOT_FOUND, **CONFLICT})
def get_front(run_id: str, runs: RunsDep) -> Response:
    """The run's status and points in the ``front.json`` shape (live points while it
    trains, read from the stored events). The body is the :class:`FrontPublic` schema;
    it is sent as the service stores it, without validating every point again."""
    return JSONResponse(runs.front_document(run_id))


@router.post(
    "/{run_id}/select",
    response_model=SelectResponseBody,
    responses={**NOT_FOUND, **CONFLICT, **INVALID},
)
def select_point(run_id: str, body: SelectRequest, runs: RunsDep) -> dict:
    """Choose a point: by ``round``, or by constraints (then the best ``maximize``),
    preference ``weights`` over the objectives, or the knee of the front."""
    if body.kind == "round" and body.round is None:
        raise InvalidRequestError("kind 'round' needs a round", field="round")
    try:
        if body.round is not None:
            rule = SelectionRule(kind="round", round=body.round)
        elif body.constraints or body.kind == "constraints":
            rule = SelectionRule(
                kind="constraints",
                constraints=tuple(
                    Constraint.parse(c).with_confidence(body.confidence) for c in body.constraints
                ),
                maximize=body.maximize,
            )
        elif body.weights is not None or body.kind == "weights":
            rule = SelectionRule(kind="weights", weights=tuple(body.weights or ()))
        else:
            rule = SelectionRule(kind="knee") if body.kind == "knee" else SelectionRule.default()
    except ValueError as error:
        raise InvalidRequestError(str(error), field="rule") from error
    return runs.select(run_id, rule)


@router.get("/{run_id}/points/{round_}", response_model=Point, responses={**NOT_FOUND, **CONFLICT})
def get_point(run_id: str, round_: int, runs: RunsDep) -> Point:
    return runs.point(run_id, round_)
