"""Datasets: the built-ins and uploads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from fastapi.concurrency import run_in_threadpool

from .deps import DatasetsDep
from .schemas import DatasetPublic, DatasetsPublic, ErrorBody

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@router.get("", response_model=DatasetsPublic)
def list_datasets(datasets: DatasetsDep) -> dict:
    return {"datasets": datasets.all()}


@router.get(
    "/{dataset_id}",
    response_model=DatasetPublic,
    responses={
        404: {"model": ErrorBody, "description": "no such dataset"},
        422: {"model": ErrorBody, "description": "an unknown target or a malformed rule"},
    },
)
def get_dataset(
    dataset_id: str,
    datasets: DatasetsDep,
    target: Annotated[str | None, Query(max_length=200)] = None,
    target_rule: Annotated[str | None, Query(max_length=200)] = None,
) -> dict:
    """The profile: columns (kind, missing share, distinct values, flags), the detected
    CSV format, ranked target and protected suggestions with group sizes per split, and
    the columns left out by default. ``target`` or ``target_rule`` profile an upload for
    that target (leakage flags and group sizes depend on it)."""
    return datasets.get(dataset_id, target=target, target_rule=target_rule)


@router.post(
    "",
    status_code=201,
    response_model=DatasetPublic,
    responses={
        413: {"model": ErrorBody, "description": "over the size, row or column limit"},
        422: {"model": ErrorBody, "description": "not a readable CSV"},
    },
)
async def upload_dataset(file: UploadFile, datasets: DatasetsDep) -> dict:
    """Upload a CSV (multipart field ``file``). Its name is only shown, never used as a path."""
    try:
        return await run_in_threadpool(datasets.save_upload, file.file, file.filename)
    finally:
        await file.close()
