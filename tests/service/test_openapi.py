"""The OpenAPI document: every error a route can answer is documented, and documented
bodies match what is sent (schemathesis with every check: test_schemathesis.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairfront.service.api import create_app
from fairfront.service.settings import Settings


class NoRunExecutor:
    """Accepts every job and runs none: runs stay queued, nothing is trained."""

    def __init__(self) -> None:
        self.futures: list[Future[Any]] = []

    def submit(self, request: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.futures.append(future)
        return future

    def shutdown(self) -> None:
        for future in self.futures:
            future.cancel()


@pytest.fixture
def app(tmp_path: Path) -> Any:
    """The real app on a real SQLite file, with :class:`NoRunExecutor` so nothing trains."""
    return create_app(
        Settings(
            models_dir=tmp_path / "models",
            max_jobs=1,
            max_upload_bytes=64 * 1024,
            # schemathesis' ASGI transport calls the app as "testserver"
            allowed_hosts=["127.0.0.1", "testserver"],
        ),
        executor=NoRunExecutor(),
    )


@pytest.fixture
def spec(app: Any) -> dict[str, Any]:
    document: dict[str, Any] = app.openapi()
    return document


@pytest.fixture
def client(app: Any) -> Iterator[httpx.Client]:
    """A client over the ASGI app, with the app's lifespan run around it."""
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as test:
        session = test.post("/api/sessions")
        assert session.status_code == 201, session.text
        test.headers["Authorization"] = f"Bearer {session.json()['token']}"
        test.cookies.clear()
        yield test


# ----- documented status codes -----------------------------------------------------------
def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), path, operation


EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/datasets"): {"201", "413", "422"},
    ("GET", "/api/datasets/{dataset_id}"): {"404"},
    ("POST", "/api/runs"): {"202", "404", "422"},
    ("GET", "/api/runs"): {"422"},
    ("GET", "/api/runs/{run_id}"): {"404"},
    ("DELETE", "/api/runs/{run_id}"): {"404", "409"},
    ("GET", "/api/runs/{run_id}/events"): {"404"},
    ("GET", "/api/runs/{run_id}/front"): {"404"},
    ("POST", "/api/runs/{run_id}/select"): {"404", "409", "422"},
    ("GET", "/api/runs/{run_id}/points/{round_}"): {"404", "409"},
    ("DELETE", "/api/chat/sessions/{session_id}"): {"204", "401", "404"},
    ("DELETE", "/api/datasets/{dataset_id}"): {"204", "404", "409"},
}
"""Each route's own errors; every route also documents 400 and every state-changing one
403, 413, 503 and 507 (the security middleware, the store)."""


def test_every_route_documents_the_errors_it_can_answer(spec: dict[str, Any]) -> None:
    found = {(method, path): set(op["responses"]) for method, path, op in operations(spec)}
    missing = {key: codes - found.get(key, set()) for key, codes in EXPECTED.items()}
    assert {k: v for k, v in missing.items() if v} == {}
    for (method, path), codes in found.items():
        operation = spec["paths"][path][method.lower()]
        if "{run_id}" in path or "{dataset_id}" in path:
            assert "404" in codes, (method, path)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in codes, (method, path)
        assert any(code.startswith("2") for code in codes), (method, path)
        for code in codes - {"200", "201", "202", "204"}:
            content = operation["responses"][code].get("content", {})
            assert "application/json" in content, (method, path, code)
            # every error is sent as ErrorBody, 422 included (not FastAPI's own list)
            schema = content["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, code)
        assert "400" in codes, (method, path)  # a foreign Host, a body that cannot be parsed
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert {"403", "413", "503", "507"} <= codes, (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    # every route but the public ones says how to authenticate
    public = {("GET", "/api/health"), ("GET", "/api/vocabulary"), ("POST", "/api/sessions")}
    for method, path, operation in operations(spec):
        assert ("security" in operation) == ((method, path) not in public), (method, path)


def test_front_documents_409_as_it_answers_it(
    app: Any, client: httpx.Client, spec: dict[str, Any], tmp_path: Path
) -> None:
    """A run marked done whose files are gone makes GET /front answer 409 (the
    RunDirectoryError mapping); the spec of /front lists only 200, 404 and 422."""
    run = client.post("/api/runs", json={"dataset": "compas", "rounds": 5}).json()
    with sqlite3.connect(tmp_path / "models" / "fairfront.db") as db:
        db.execute("UPDATE runs SET status = 'done' WHERE id = ?", (run["id"],))
    response = client.get(f"/api/runs/{run['id']}/front")
    assert response.status_code == 409
    assert str(tmp_path) not in response.text  # the message names no server path
    assert "409" in spec["paths"]["/api/runs/{run_id}/front"]["get"]["responses"]


def _schema_of(spec: dict[str, Any], path: str, method: str, code: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["paths"][path][method]["responses"][code]["content"][
        "application/json"
    ]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _conforms(body: Any, schema: dict[str, Any]) -> bool:
    """Enough of JSON Schema for ErrorBody / HTTPValidationError: object, required, types."""
    if not isinstance(body, dict) or not set(schema.get("required", ())) <= set(body):
        return False
    for name, prop in schema.get("properties", {}).items():
        if name not in body:
            continue
        kinds = [p.get("type") for p in prop.get("anyOf", [prop])]
        value = body[name]
        checks = {
            "string": isinstance(value, str),
            "array": isinstance(value, list),
            "object": isinstance(value, dict),
            "null": value is None,
            None: True,
        }
        if not any(checks.get(kind, True) for kind in kinds):
            return False
    return True


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs"),
    [
        ("post", "/api/runs", {"json": {"dataset": "compas", "rounds": 5000}}),
        ("post", "/api/runs", {"json": {"dataset": "compas", "constraints": ["eo<=x"]}}),
        ("post", "/api/datasets", {"files": {"file": ("x.csv", b"\x89PNG\r\n\x1a\n\x00")}}),
        ("post", "/api/datasets", {"data": {"file": "not a file"}}),
        ("post", "/api/runs/{run_id}/select", {"json": {"round": 0}}),
    ],
    ids=["runs-rounds", "runs-constraint", "upload-binary", "upload-no-file", "select-round"],
)
def test_422_bodies_match_the_documented_schema(
    client: httpx.Client,
    spec: dict[str, Any],
    method: str,
    path: str,
    request_kwargs: dict[str, Any],
) -> None:
    """What a client gets on 422 is what the spec says it gets (ErrorBody: a string
    ``detail`` and a ``field``), for the service's own errors and for request validation.
    A run in the path is a real one of the caller's (another's would be 404 first)."""
    template = path
    if "{run_id}" in path:
        run_id = client.post("/api/runs", json={"dataset": "compas", "rounds": 5}).json()["id"]
        path = path.replace("{run_id}", run_id)
    url = path
    response = client.request(method.upper(), url, **request_kwargs)
    assert response.status_code == 422, response.text
    schema = _schema_of(spec, template, method, "422")
    assert _conforms(response.json(), schema), (schema.get("title"), response.json())


def test_framework_errors_are_sent_as_documented(
    client: httpx.Client, spec: dict[str, Any]
) -> None:
    """A method a path does not take: 405 whose Allow names every method of the path (one
    FastAPI route per method; Starlette's own answer named only the first). A body that is
    not UTF-8 JSON: 400. Both in the ErrorBody shape."""
    run_id = client.post("/api/runs", json={"dataset": "compas", "rounds": 5}).json()["id"]
    response = client.request("PUT", f"/api/runs/{run_id}")
    assert response.status_code == 405
    documented = {m.upper() for m in spec["paths"]["/api/runs/{run_id}"]}
    assert set(response.headers["allow"].replace(" ", "").split(",")) - {"HEAD"} == documented
    assert _conforms(response.json(), _schema_of(spec, "/api/runs", "post", "422"))
    response = client.post(
        "/api/chat", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert _conforms(response.json(), _schema_of(spec, "/api/chat", "post", "400"))
