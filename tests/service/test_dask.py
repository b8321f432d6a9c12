"""FAIRFRONT_DASK_SCHEDULER sends jobs to a Dask cluster (a local one here)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fairfront.service.api import create_app
from fairfront.service.settings import Settings

distributed = pytest.importorskip("distributed")


def test_a_run_trains_on_a_dask_cluster(tmp_path: Path) -> None:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        settings = Settings(
            models_dir=tmp_path / "models", dask_scheduler=cluster.scheduler_address
        )
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            assert client.get("/api/health").json()["executor"] == "DaskExecutor"
            token = client.post("/api/sessions").json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            run = client.post("/api/runs", json={"dataset": "compas", "rounds": 15}).json()
            deadline = time.monotonic() + 120
            status = run["status"]
            while status not in ("done", "failed") and time.monotonic() < deadline:
                time.sleep(0.5)
                status = client.get(f"/api/runs/{run['id']}").json()["status"]
            assert status == "done", client.get(f"/api/runs/{run['id']}").json()
            front = client.get(f"/api/runs/{run['id']}/front").json()
            assert len(front["points"]) == 15
            assert sum(p["selected"] for p in front["points"]) == 1
