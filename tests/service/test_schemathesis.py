"""Schemathesis with every check (``schemathesis run --checks all``) over every route of the
OpenAPI document, in process, with the path filled with real things of the caller's: a
finished boosting run and a round on its front, an upload of a real CSV, chat sessions.

The engine is the one the CLI drives (phases examples, coverage, fuzzing and stateful), on
the real app over a real SQLite file. Acceptance: no 5xx, no undocumented status, every
body as its documented schema says (422 included), and every other check passes.
"""

from __future__ import annotations

import gzip
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from fairfront.service.api import create_app
from fairfront.service.services.jobs import TERMINAL, JobRequest, run_job
from fairfront.service.settings import Settings

from .conftest import GERMAN_CSV

pytestmark = pytest.mark.slow  # about half a minute; the default `pytest -n 2` runs it

MAX_EXAMPLES = 6
"""Per operation and generation mode in the fuzzing phase (coverage and stateful add more)."""


class JobThread:
    """The service's executor contract with the real job (``run_job``: real training, its
    events and files in the real store), in one thread of this process so that no worker
    process has to start. Once :meth:`close` is called, jobs are accepted and held: the
    runs schemathesis queues (any learner, up to thousands of rounds) stay queued."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        self._held: list[Future[Any]] = []
        self.open = True

    def submit(self, request: JobRequest) -> Future[Any]:
        if self.open:
            return self._pool.submit(run_job, request)
        future: Future[Any] = Future()
        self._held.append(future)
        return future

    def close(self) -> None:
        self.open = False

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for future in self._held:
            future.cancel()


@dataclass
class Served:
    """The app (its lifespan started by schemathesis' ASGI client) and the caller's things."""

    app: Any
    token: str
    ids: dict[str, Any] = field(default_factory=dict)
    spare: dict[str, str] = field(default_factory=dict)
    """Things that DELETE routes may remove (the others stay for every other route)."""
    csv: bytes = b""
    """A real CSV, for the upload route."""


def _finished_run(client: Any, body: dict[str, Any]) -> str:
    response = client.post("/api/runs", json=body)
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    deadline = time.monotonic() + 120
    while (status := client.get(f"/api/runs/{run_id}").json()["status"]) not in TERMINAL:
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        time.sleep(0.05)
    assert status == "done", client.get(f"/api/runs/{run_id}").json()
    return run_id


def _german(rows: int) -> bytes:
    """The first ``rows`` rows of the real German credit file (the shipped copy of
    /work/shared/datasets/german/german.csv, the same bytes)."""
    lines = gzip.decompress(GERMAN_CSV.read_bytes()).decode().splitlines()[: rows + 1]
    return ("\n".join(lines) + "\n").encode()


def _upload(client: Any, name: str, rows: int) -> str:
    files = {"file": (name, _german(rows), "text/csv")}
    response = client.post("/api/datasets", files=files)
    assert response.status_code == 201, response.text
    dataset_id: str = response.json()["id"]
    return dataset_id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("schemathesis")
    executor = JobThread()
    app = create_app(
        Settings(
            models_dir=root / "models",
            max_jobs=1,
            max_upload_bytes=64 * 1024,
            max_queued=20,
            allowed_hosts=["testserver"],  # schemathesis' ASGI client calls it so
        ),
        executor=executor,
    )
    with asgi.get_client(app) as client:  # starts the app's lifespan; it runs until teardown
        session = client.post("/api/sessions")
        assert session.status_code == 201, session.text
        token = session.json()["token"]
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {token}"
        served = Served(app=app, token=token, csv=_german(120))
        served.ids["dataset_id"] = _upload(client, "german-head.csv", 300)
        served.spare["dataset_id"] = _upload(client, "german-spare.csv", 100)
        run_id = _finished_run(client, {"dataset": "german", "rounds": 4})
        served.ids["run_id"] = run_id
        served.spare["run_id"] = _finished_run(
            client, {"dataset": "german", "rounds": 2, "baseline": False}
        )
        front = client.get(f"/api/runs/{run_id}/front").json()
        # an int, as the schema types it (a string would read as a negative value)
        served.ids["round_"] = next(p["round"] for p in front["points"] if p["on_front"])
        for key, store in (("session_id", served.ids), ("session_id", served.spare)):
            store[key] = client.post("/api/chat/sessions").json()["id"]
            reply = client.post(
                "/api/chat", json={"session_id": store[key], "message": "use german"}
            )
            assert reply.status_code == 200, reply.text
        executor.close()
        try:
            yield served
        finally:
            asgi.shutdown_lifespans()


def _real_bodies(served: Served) -> Any:
    """A ``flatmap_body`` hook: besides each generated body, also send it with real parts,
    so that the checks behind a lookup are reached (random dataset names and chat session
    ids are all 404, random bytes are no CSV). The real variant comes first (Hypothesis
    draws it most); schemathesis revalidates a changed body, so a negative body that the
    change made valid counts as positive."""

    def hook(context: Any, body: Any) -> Any:
        operation = context.operation
        route = (operation.method.upper(), operation.path) if operation is not None else None
        if not isinstance(body, dict):
            return st.just(body)
        if route == ("POST", "/api/runs") and "dataset" in body:
            valid = [{**body, "dataset": name} for name in ("compas", "german")]
            # without constraints and notions, more bodies get past the checks before the
            # learner is built
            plain = {k: v for k, v in body.items() if k not in ("constraints", "notions")}
            return st.sampled_from([*valid, {**plain, "dataset": "compas"}, body])
        if route == ("POST", "/api/chat") and "session_id" in body:
            return st.sampled_from([{**body, "session_id": served.ids["session_id"]}, body])
        if route == ("POST", "/api/datasets") and "file" in body:
            # the real CSV second: each upload of it is profiled, which costs time
            return st.sampled_from([body, {**body, "file": served.csv}])
        return st.just(body)

    return hook


# Checks that cannot apply to one operation, each with its reason. Nothing else is left out.
# positive_data_acceptance says a request the schema allows must not get a 4xx other than
# 401/403/404/409/429; these routes check what a JSON schema cannot say, and answer 422
# naming the field (the 422 body is still checked against its documented schema).
CONTENT = "a schema-valid request may still name what the data does not have"
EXCLUDED: dict[tuple[str, str], dict[str, str]] = {
    # the file is `format: binary`; that it is a CSV with a header and rows is read after
    ("POST", "/api/datasets"): {"positive_data_acceptance": "an empty or non-CSV file is 422"},
    # `target` must be one of the upload's columns, which differ per upload
    ("GET", "/api/datasets/{dataset_id}"): {"positive_data_acceptance": CONTENT},
    # columns, groups, a target rule, constraints in their small language, a learner's
    # parameters: checked against the dataset's profile and the learner (each 422 names it)
    ("POST", "/api/runs"): {"positive_data_acceptance": CONTENT},
    # constraints in their language, weights one per objective of this run's front
    ("POST", "/api/runs/{run_id}/select"): {"positive_data_acceptance": CONTENT},
}


def _config(served: Served) -> SchemathesisConfig:
    operations: list[dict[str, Any]] = [
        # DELETE routes get spare things, so that every other route keeps real ones
        {"include-name": f"DELETE {path}", "parameters": {f"path.{name}": served.spare[name]}}
        for path, name in (
            ("/api/runs/{run_id}", "run_id"),
            ("/api/datasets/{dataset_id}", "dataset_id"),
            ("/api/chat/sessions/{session_id}", "session_id"),
        )
    ]
    for (method, path), checks in EXCLUDED.items():
        disabled = {name: {"enabled": False} for name in checks}  # see EXCLUDED
        operations.append({"include-name": f"{method} {path}", "checks": disabled})
    load_all_checks()
    every = {name: {"enabled": True} for name in CHECKS.get_all_names()}  # --checks all
    config = SchemathesisConfig.from_dict(
        {
            "seed": 12,
            "checks": every,
            "workers": 1,
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
            "auth": {"openapi": {"HTTPBearer": {"bearer": served.token}}},
            "parameters": {f"path.{name}": value for name, value in served.ids.items()},
            "operations": operations,
        }
    )
    return config


@dataclass
class Outcome:
    operations: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    cases: int = 0
    checks: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _run(served: Served) -> Outcome:
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.app, config=_config(served))
    schema.hook("flatmap_body")(_real_bodies(served))

    outcome = Outcome()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            outcome.errors.append(str(getattr(event, "info", event)))
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        for case_id, interaction in recorder.interactions.items():
            node = recorder.cases.get(case_id)
            if node is None or interaction.response is None:
                continue
            outcome.cases += 1
            outcome.operations.add(node.value.operation.label)
            outcome.statuses[
                f"{node.value.operation.label} {interaction.response.status_code}"
            ] += 1
        for checks in recorder.checks.values():
            for check in checks:
                outcome.checks[check.name] += 1
                info = check.failure_info
                if check.status == schemathesis.engine.Status.FAILURE and info is not None:
                    key = (check.name, info.failure.operation)
                    outcome.failures.setdefault(
                        key,
                        f"{info.failure.title}: {info.failure.message[:1500]}\n{info.code_sample}",
                    )
    return outcome


def test_schemathesis_all_checks_with_real_ids(served: Served) -> None:
    """Every operation, every check, positive and negative inputs, real path ids."""
    spec = served.app.openapi()
    documented = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    started = time.monotonic()
    outcome = _run(served)
    seconds = time.monotonic() - started
    report = "\n\n".join(
        f"{name} on {op}:\n{text}" for (name, op), text in outcome.failures.items()
    )
    assert outcome.failures == {}, report
    assert outcome.errors == []
    assert outcome.operations == documented  # every route was called
    load_all_checks()
    ran = set(outcome.checks)
    assert {"not_a_server_error", "response_schema_conformance", "status_code_conformance"} <= ran
    # every route answered 2xx at least once: the real ids reached it
    reached = {key.rsplit(" ", 1)[0] for key in outcome.statuses if key.rsplit(" ", 1)[1][0] == "2"}
    assert reached == documented, (sorted(documented - reached), sorted(outcome.statuses.items()))
    print(  # the numbers for the record (pytest -s)
        f"\nschemathesis: {len(outcome.operations)} operations, {outcome.cases} cases, "
        f"{sum(outcome.checks.values())} checks ({len(ran)} kinds of {len(CHECKS.get_all())}) "
        f"in {seconds:.1f} s"
    )
