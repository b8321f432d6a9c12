"""The OpenAPI document: every error a route can answer is documented, documented bodies
match what is sent, and schemathesis finds no server error (5xx) anywhere in the spec."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

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
}


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


# ----- schemathesis ------------------------------------------------------------------
# Driven with plain Hypothesis over each operation's strategy: schemathesis 4.32.5's
# pytest loader (``schemathesis.pytest.from_fixture``) reads ``request.node._nodeid``,
# which pytest 9 no longer has.
MAX_EXAMPLES = 20
MORE_EXAMPLES = {("POST", "/api/runs"): 200}  # the route with the most input combinations


def _with_builtin_datasets(context: Any, body: Any) -> Any:
    """Random dataset names all give 404: also send valid ones, so that the checks
    behind the dataset lookup (learner, parameters, constraints) are reached."""
    operation = context.operation
    if (
        operation is not None
        and operation.method.upper() == "POST"
        and operation.path == "/api/runs"
        and isinstance(body, dict)
        and "dataset" in body
    ):
        valid = [{**body, "dataset": name} for name in ("compas", "german")]
        # Without constraints and notions, more bodies get past the checks before the
        # learner is built.
        plain = {k: v for k, v in body.items() if k not in ("constraints", "notions")}
        return st.sampled_from([body, *valid, {**plain, "dataset": "compas"}])
    return st.just(body)


def test_schemathesis_finds_no_server_error(app: Any, client: httpx.Client) -> None:
    """Every operation, valid and invalid inputs: never a 5xx. ``client`` keeps the
    app's lifespan (services, NoRunExecutor) running while schemathesis calls it."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": client.headers["Authorization"]}
    schema.hook("flatmap_body")(_with_builtin_datasets)
    failures: dict[str, str] = {}
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MORE_EXAMPLES.get(
                    (operation.method.upper(), operation.path), MAX_EXAMPLES
                ),
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                nonlocal calls
                calls += 1
                try:
                    status = str(case.call(headers=dict(auth)).status_code)
                except Exception as error:  # the ASGI transport re-raises what the app raised
                    status = f"500 ({type(error).__name__}: {error})"
                if status.startswith("5"):
                    failures.setdefault(
                        f"{case.method} {case.path}", f"{status} for {case.as_curl_command()}"
                    )

            try:
                check()
            except Unsatisfiable:
                # No invalid input exists for an operation without parameters or body.
                assert mode is schemathesis.GenerationMode.NEGATIVE
    assert calls > 100
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
