"""A multi-task walk in a real browser: `fairfront serve`, Debian's Chromium driven by
Playwright; from a blank page three chat messages train FairBranch on COMPAS (two tasks,
race protected), the front is drawn while the run trains, the task selector redraws it,
a click on a point shows each task's test figures and the gains against the single-task
models, and the ONNX file downloaded from the page, scored with onnxruntime alone,
gives the figures the service reports for that point."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from fairfront.datasets import load_multitask
from fairfront.export import onnx_feed
from fairfront.metrics import evaluate

from .conftest import CHROMIUM_ARGS, Served

sync_api = pytest.importorskip("playwright.sync_api")
ort = pytest.importorskip("onnxruntime")

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
TASKS = ("two_year_recid", "is_violent_recid")
EPOCHS = 20
"""Enough epochs that the run is still training when the first points are drawn (about
0.2 s an epoch), few enough for the suite."""
TOLERANCE = 1e-5

pytestmark = pytest.mark.slow


def send(page: Any, text: str) -> None:
    """Type a chat message and press Enter (once a rerun has left one chat box)."""
    chat = page.get_by_test_id("stChatInputTextArea")
    sync_api.expect(chat).to_have_count(1, timeout=30_000)
    chat.fill(text)
    chat.press("Enter")


def say(page: Any, text: str, then: str) -> None:
    """Send a chat message and wait until the page shows ``then``."""
    send(page, text)
    page.get_by_text(then).first.wait_for(timeout=60_000)


def chart_traces(front: Any) -> list[dict[str, Any]]:
    """The drawn figure's traces: name, x, y and each point's round."""
    traces: list[dict[str, Any]] = front.evaluate(
        "gd => gd.data.map(t => ({name: t.name, x: t.x, y: t.y, "
        "rounds: (t.customdata || []).map(c => c[0])}))"
    )
    return traces


def onnx_figures(model: Path, card: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each task's test figures computed from the ONNX file's probabilities alone."""
    test = load_multitask("compas", tasks=list(TASKS), protected=["race"])
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    assert outputs == [f"probabilities_{t}" for t in TASKS], outputs
    probabilities = session.run(outputs, onnx_feed(test.X_test, card["inputs"]))
    figures = {}
    for t, task in enumerate(TASKS):
        scores = np.asarray(probabilities[t])
        assert scores.shape == (len(test.X_test), 2)
        report = evaluate(
            test.Y_test[:, t],
            (scores[:, 1] > 0.5).astype(int),
            sensitive_features=test.sensitive_test,
            notions=["eo", "eo_sum"],
        )
        figures[task] = {
            "accuracy": float(report.overall["accuracy"]),
            "balanced_accuracy": float(report.overall["balanced_accuracy"]),
            "eo": float(report.violation("eo")),
            "eo_sum": float(report.violation("eo_sum")),
        }
    return figures


def test_chat_trains_fairbranch_on_compas_and_the_onnx_download_scores_the_test_split(
    chromium: Path, served: Served, tmp_path: Path
) -> None:
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1500, "height": 2200},
            accept_downloads=True,
        )
        try:
            page = context.new_page()
            page.goto(served.url, wait_until="domcontentloaded")
            page.get_by_test_id("stChatInputTextArea").first.wait_for(timeout=60_000)

            say(
                page,
                "use compas, predict two_year_recid and is_violent_recid together, protect race",
                "predicting two_year_recid and is_violent_recid together",
            )
            say(
                page, f"multi-task learning with fairbranch, {EPOCHS} epochs", "Learner: FairBranch"
            )
            page.get_by_text(f"Epochs: {EPOCHS}").first.wait_for(timeout=10_000)
            token = next(
                c["value"] for c in context.cookies() if c["name"] == "fairfront_page_owner"
            )
            api = httpx.Client(
                base_url=served.api_url, headers={"Authorization": f"Bearer {token}"}
            )

            send(page, "train")
            started = time.monotonic()
            front = page.locator(".js-plotly-plot").first
            front.locator(".scatterlayer .trace path.point").first.wait_for(timeout=60_000)
            first_point = time.monotonic() - started
            # live: drawn while the run trains (the page says so, and so does the service)
            live = page.get_by_text("Training: point").first
            assert live.is_visible(), "the first point was drawn only after the run ended"
            (run,) = api.get("/api/runs").json()["runs"]
            assert run["status"] == "running", run
            page.get_by_text("Training finished").first.wait_for(timeout=120_000)
            print(f"\nFairBranch, {EPOCHS} epochs: first point {first_point:.2f} s after 'train'")

            body = api.get(f"/api/runs/{run['id']}/front").json()
            assert [t["name"] for t in body["tasks"]] == list(TASKS)
            assert len(body["points"]) == EPOCHS

            # the selector: the mean, the worst task, each task; one task redraws the chart
            for label in ("mean over tasks", "worst task", *(f"task {t}" for t in TASKS)):
                page.get_by_text(label, exact=True).wait_for(timeout=10_000)
            page.get_by_text(f"task {TASKS[1]}", exact=True).click()
            by_round = {
                p["round"]: p["tasks"][TASKS[1]]["validation"]["balanced_accuracy"]
                for p in body["points"]
            }
            deadline = time.monotonic() + 30
            while True:
                traces = chart_traces(front)
                drawn = {
                    r: y
                    for t in traces
                    if t["name"] in ("on the front", "dominated")
                    for r, y in zip(t["rounds"], t["y"], strict=True)
                }
                if drawn and all(abs(y - by_round[r]) < 1e-12 for r, y in drawn.items()):
                    break
                assert time.monotonic() < deadline, (drawn, by_round)
                page.wait_for_timeout(200)
            names = [t["name"] for t in traces]
            assert "single-task model" in names, names

            # a click on a point of the front that is not the chosen one
            chosen = body["selection"]["round"]
            number = names.index("on the front")
            rounds = traces[number]["rounds"]
            index = next(i for i, r in enumerate(rounds) if r != chosen)
            target = rounds[index]
            page.wait_for_timeout(300)
            marker = front.locator(".scatterlayer .trace").nth(number).locator("path.point")
            box = marker.nth(index).bounding_box()
            assert box is not None
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.wait_for_timeout(300)
            page.mouse.click(x, y)
            page.get_by_text(f"You chose round {target} on the chart.").wait_for(timeout=60_000)
            page.get_by_text(f"Chosen point: round {target}", exact=True).wait_for(timeout=60_000)
            selection = api.get(f"/api/runs/{run['id']}").json()["selection"]
            assert selection["round"] == target and selection["by"] == "user"

            # the per-task panel: each task's test figures and the gains against its
            # single-task model (this point's figure minus the baseline's, both from the
            # service), as the page shows them (three decimals, gains signed)
            point = api.get(f"/api/runs/{run['id']}/points/{target}").json()
            singles = body["baselines"]["tasks"]
            table = page.get_by_test_id("stTable")
            for task in TASKS:
                mine, single = point["tasks"][task]["test"], singles[task]["test"]
                shown = [
                    f"{mine['accuracy']:.3f}",
                    f"{mine['balanced_accuracy']:.3f}",
                    f"{mine['eo']['value']:.3f}",
                    f"{mine['accuracy'] - single['accuracy']:+.3f}",
                    f"{mine['eo_sum']['value'] - single['eo_sum']['value']:+.3f}",
                ]
                row = table.locator("tr", has_text=task)
                cells: list[str] = []
                deadline = time.monotonic() + 30  # the panel redraws for the clicked point
                while not all(text in cells for text in shown):
                    assert time.monotonic() < deadline, (task, cells, shown)
                    page.wait_for_timeout(200)
                    cells = row.locator("td, th").all_inner_texts()
            # the explanation speaks of both tasks
            for task in TASKS:
                page.get_by_text(f"Task {task}: This is round {target}").first.wait_for(
                    timeout=60_000
                )

            # the ONNX download, scored with onnxruntime alone
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name="ONNX model").first.click()
            model = tmp_path / "model.onnx"
            download.value.save_as(model)
            card = api.get(f"/api/runs/{run['id']}/points/{target}/model-card").json()
            mine = onnx_figures(model, card)
            for task in TASKS:
                stored = point["tasks"][task]["test"]
                for metric in ("accuracy", "balanced_accuracy"):
                    assert abs(mine[task][metric] - stored[metric]) <= TOLERANCE
                for notion in ("eo", "eo_sum"):
                    assert abs(mine[task][notion] - stored[notion]["value"]) <= TOLERANCE
            api.close()
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "multitask-failed.png"), full_page=True)
            raise
        finally:
            context.close()
