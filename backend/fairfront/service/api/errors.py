"""The one place where errors become HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from ...datasets import DatasetError
from ...fronts import ConstraintError, SelectionError
from ...groups import GroupingError
from ...runs import RunDirectoryError
from ..errors import ServiceError
from ..storage import DAMAGED, redact_paths, storage_error

log = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def _body(detail: str, field: str | None = None) -> dict[str, str | None]:
    """Every error body: the message without any server path."""
    return {"detail": redact_paths(detail), "field": field}


def _storage_response(error: BaseException) -> JSONResponse | None:
    answer = storage_error(error)
    if answer is None:
        return None
    log.warning("storage fault: %s", redact_paths(str(error)))
    return JSONResponse(_body(answer.message), status_code=answer.status_code)


def allowed_methods(request: Request) -> list[str]:
    """Every documented method at this request's path. Starlette's own 405 names only the
    methods of the first route that matched, and FastAPI makes one route per method."""
    for template, item in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            return sorted(method.upper() for method in item if method.upper() in METHODS)
    return []


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        """Starlette's and FastAPI's own errors (an unknown path, a method the path does not
        take, a body that cannot be parsed) in the service's error body."""
        headers = dict(error.headers or {})
        if error.status_code == 405 and (methods := allowed_methods(request)):
            headers["Allow"] = ", ".join(methods)
        return JSONResponse(_body(str(error.detail)), error.status_code, headers=headers)

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
        return JSONResponse(_body(DAMAGED, "run_id"), status_code=409)

    @app.exception_handler(OSError)
    async def os_error(_: Request, error: OSError) -> JSONResponse:
        """A full disk is 507, a read-only or forbidden store 503; anything else a 500."""
        answer = _storage_response(error)
        if answer is not None:
            return answer
        log.exception("unexpected storage error")
        return JSONResponse(_body("internal error; the server log has the details"), 500)

    @app.exception_handler(OperationalError)
    async def database_error(_: Request, error: OperationalError) -> JSONResponse:
        """SQLite's "database or disk is full" / "attempt to write a readonly database"."""
        answer = _storage_response(error)
        if answer is not None:
            return answer
        log.exception("database error")
        return JSONResponse(_body("internal error; the server log has the details"), 500)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        for cause in (error.__cause__, error.__context__):
            if cause is not None and (answer := _storage_response(cause)) is not None:
                return answer
        log.exception("unexpected error")
        return JSONResponse(_body("internal error; the server log has the details"), 500)
