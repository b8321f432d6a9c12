"""The one place where errors become HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ...datasets import DatasetError
from ...fronts import ConstraintError, SelectionError
from ...groups import GroupingError
from ...runs import RunDirectoryError
from ..errors import ServiceError

log = logging.getLogger(__name__)


def _body(detail: str, field: str | None = None) -> dict[str, str | None]:
    return {"detail": detail, "field": field}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        """One message naming the field; never the submitted input echoed back."""
        problems = error.errors()
        first = problems[0] if problems else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
        field = ".".join(location) or None
        message = str(first.get("msg", "invalid request"))
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        detail = f"{field}: {message}{more}" if field else f"{message}{more}"
        return JSONResponse(_body(detail[:4000], field), status_code=422)

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, error: ServiceError) -> JSONResponse:
        return JSONResponse(_body(error.message, error.field), status_code=error.status_code)

    @app.exception_handler(DatasetError)
    async def dataset_error(_: Request, error: DatasetError) -> JSONResponse:
        return JSONResponse(_body(str(error), getattr(error, "column", None)), status_code=422)

    @app.exception_handler(GroupingError)
    async def grouping_error(_: Request, error: GroupingError) -> JSONResponse:
        return JSONResponse(_body(str(error), "protected"), status_code=422)

    @app.exception_handler(ConstraintError)
    async def constraint_error(_: Request, error: ConstraintError) -> JSONResponse:
        return JSONResponse(_body(str(error), "constraints"), status_code=422)

    @app.exception_handler(SelectionError)
    async def selection_error(_: Request, error: SelectionError) -> JSONResponse:
        return JSONResponse(_body(str(error), "rule"), status_code=422)

    @app.exception_handler(RunDirectoryError)
    async def run_dir_error(_: Request, error: RunDirectoryError) -> JSONResponse:
        log.warning("run directory problem: %s", error)
        return JSONResponse(_body("the run's files are missing or damaged"), status_code=409)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(_body("internal error; the server log has the details"), 500)
