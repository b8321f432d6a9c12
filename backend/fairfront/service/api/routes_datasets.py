"""Datasets: the built-ins and uploads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from ...datasets import list_datasets as list_builtin
from ..errors import ConflictError
from ..services.ownership import upload_in_use
from .deps import DatasetsDep, OwnerDep, ServicesDep
from .schemas import DatasetPublic, DatasetsPublic, ErrorBody

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@router.get("", response_model=DatasetsPublic)
def list_datasets(datasets: DatasetsDep, owner: OwnerDep) -> dict:
    """The built-ins and the caller's own uploads."""
    return {"datasets": datasets.all(owner)}


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
    owner: OwnerDep,
    target: Annotated[str | None, Query(max_length=200)] = None,
    target_rule: Annotated[str | None, Query(max_length=200)] = None,
) -> dict:
    """The profile: columns (kind, missing share, distinct values, flags), the detected
    CSV format, ranked target and protected suggestions with group sizes per split, and
    the columns left out by default. ``target`` or ``target_rule`` profile an upload for
    that target (leakage flags and group sizes depend on it)."""
    return datasets.get(dataset_id, owner, target=target, target_rule=target_rule)


@router.post(
    "",
    status_code=201,
    response_model=DatasetPublic,
    responses={
        413: {"model": ErrorBody, "description": "over the size, row or column limit"},
        422: {"model": ErrorBody, "description": "not a readable CSV"},
    },
)
async def upload_dataset(file: UploadFile, datasets: DatasetsDep, owner: OwnerDep) -> dict:
    """Upload a CSV (multipart field ``file``). Its name is only shown, never used as a
    path; the upload is the caller's and chosen by its id."""
    try:
        return await run_in_threadpool(datasets.save_upload, file.file, file.filename, owner)
    finally:
        await file.close()


@router.delete(
    "/{dataset_id}",
    status_code=204,
    responses={
        404: {"model": ErrorBody, "description": "no such upload of the caller's"},
        409: {"model": ErrorBody, "description": "a built-in, or a run still trains on it"},
    },
)
def delete_dataset(dataset_id: str, services: ServicesDep, owner: OwnerDep) -> Response:
    """Remove an upload: its file and its row (runs made from it keep their own files)."""
    if dataset_id in list_builtin():
        raise ConflictError("built-in datasets cannot be deleted", field="dataset_id")
    if upload_in_use(services.db, services.datasets.path_for(dataset_id, owner)):
        raise ConflictError("a run still trains on this upload; cancel it first")
    services.datasets.delete(dataset_id, owner)
    return Response(status_code=204)
