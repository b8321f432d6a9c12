"""The OpenAPI document says every error the service can answer, with the body it sends.

FastAPI documents a 422 as its own ``HTTPValidationError`` (a list of problems), but the
service answers every error with :class:`~.schemas.ErrorBody` (``errors.py``); and the
answers of :class:`~.security.SecurityMiddleware` (a foreign Host, a foreign Origin, an
over-size body) and of a full or read-only store can come from any route. This module
rewrites the generated document once, so that it says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .security import STATE_CHANGING

__all__ = ["COMMON_ERRORS", "STATE_CHANGING_ERRORS", "install_openapi"]

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
FASTAPI_422 = "#/components/schemas/HTTPValidationError"

COMMON_ERRORS: dict[str, str] = {
    "400": "a Host header this service does not answer to, or a body that cannot be parsed",
}
"""What any route may answer (the allowed-hosts check runs before routing)."""
STATE_CHANGING_ERRORS: dict[str, str] = {
    "403": "a request from another web site (its Origin is not allowed)",
    "413": "the request body is over the size limit",
    "503": "the store cannot be written",
    "507": "the store is full",
}
"""What a POST, PUT, PATCH or DELETE may answer besides (the Origin check, the body limit,
and the storage faults of a write)."""


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``document`` in place: 422 bodies as sent, and the common errors."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            invalid = responses.get("422")
            if invalid is not None:
                schema = invalid.get("content", {}).get("application/json", {}).get("schema")
                if schema == {"$ref": FASTAPI_422}:
                    responses["422"] = _error("invalid input; `field` names it")
            extra = dict(COMMON_ERRORS)
            if method.upper() in STATE_CHANGING:
                extra.update(STATE_CHANGING_ERRORS)
            for code, description in extra.items():
                responses.setdefault(code, _error(description))
    schemas = document.get("components", {}).get("schemas", {})
    if FASTAPI_422.rsplit("/", 1)[-1] in schemas and FASTAPI_422 not in repr(document["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document


def install_openapi(app: FastAPI) -> None:
    """``app.openapi()`` returns the rewritten document (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
