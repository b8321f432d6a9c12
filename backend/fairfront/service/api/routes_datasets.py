"""Datasets: the built-ins and uploads."""

from __future__ import annotations

from fastapi import APIRouter, UploadFile
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
    responses={404: {"model": ErrorBody, "description": "no such dataset"}},
)
def get_dataset(dataset_id: str, datasets: DatasetsDep) -> dict:
    """Columns, types, missing shares, suggested target and protected attributes."""
    return datasets.get(dataset_id)


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
