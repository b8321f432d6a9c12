"""One real browser end to end: `fairfront serve`, Debian's Chromium driven by Playwright,
a chat that trains MMM-Fair on Adult, the front growing, a click on a point, its
explanation and downloads; then Ctrl-C stops both processes."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from .conftest import CHROMIUM_ARGS, Served

sync_api = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
ROUNDS = 100
"""Adult rounds: enough for a real front, few enough for the suite (300 takes ~3x)."""

pytestmark = pytest.mark.slow


def test_chat_trains_adult_and_a_click_chooses_a_point(
    chromium: Path, served: Served, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1500, "height": 1900},
        )
        try:
            page = context.new_page()
            page.goto(served.url, wait_until="domcontentloaded")
            chat = page.get_by_test_id("stChatInputTextArea")
            chat.wait_for(timeout=60_000)

            # the guided start: one suggestion, then "train"
            page.get_by_role("button", name="Adult income").click()
            page.get_by_text("Dataset: adult").first.wait_for(timeout=60_000)
            page.get_by_text("Protected: sex (Female / Male)").wait_for(timeout=60_000)
            chat.fill(f"train with {ROUNDS} rounds")
            chat.press("Enter")
            started = time.monotonic()
            front = page.locator(".js-plotly-plot").first
            front.locator(".scatterlayer .trace path.point").first.wait_for(timeout=120_000)
            first_point = time.monotonic() - started
            page.get_by_text("Training finished").first.wait_for(timeout=240_000)
            finished = time.monotonic() - started
            print(
                f"\nAdult, {ROUNDS} rounds: first point on the chart {first_point:.1f} s after "
                f"the chat message; run done and drawn after {finished:.1f} s"
            )
            (ARTIFACTS / "front-timing.json").write_text(
                json.dumps(
                    {
                        "dataset": "adult",
                        "rounds": ROUNDS,
                        "first_point_seconds": round(first_point, 2),
                        "done_seconds": round(finished, 2),
                    }
                )
                + "\n"
            )
            assert first_point < 60

            # click a point of the front that is not the chosen one
            # The page's owner token is in its own cookie: the API answers only that owner.
            token = next(
                c["value"] for c in context.cookies() if c["name"] == "fairfront_page_owner"
            )
            api = httpx.Client(
                base_url=served.api_url, headers={"Authorization": f"Bearer {token}"}
            )
            chosen = api.get("/api/runs").json()["runs"][0]["selection"]
            chosen_run = api.get("/api/runs").json()["runs"][0]["id"]
            page.wait_for_timeout(500)  # let Plotly settle after the last redraw
            traces = front.evaluate(
                "gd => gd.data.map(t => ({name: t.name, rounds: (t.customdata || [])"
                ".map(c => c[0])}))"
            )
            number = next(i for i, t in enumerate(traces) if t["name"] == "on the front")
            rounds = traces[number]["rounds"]
            index = next(i for i, r in enumerate(rounds) if r != chosen["round"])
            target = rounds[index]
            marker = front.locator(".scatterlayer .trace").nth(number).locator("path.point")
            box = marker.nth(index).bounding_box()
            assert box is not None
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.wait_for_timeout(300)
            page.mouse.click(x, y)

            page.get_by_text(f"You chose round {target} on the chart.").wait_for(timeout=60_000)
            page.get_by_text(f"Chosen point: round {target}", exact=True).wait_for(timeout=60_000)
            explanation = page.get_by_text(f"This is round {target} of the MMM-Fair model")
            explanation.wait_for(timeout=60_000)
            download = page.get_by_role("button", name="ONNX model").first
            download.wait_for(timeout=30_000)
            assert explanation.is_visible() and download.is_visible()
            selection = api.get("/api/runs").json()["runs"][0]["selection"]
            assert selection["round"] == target and selection["by"] == "user"
            page.wait_for_timeout(800)  # the group chart's first paint
            page.screenshot(path=str(ARTIFACTS / "front-selected.png"))

            # A reload, and a new tab of the same browser: the same owner, chat, run and point.
            for view in (page, context.new_page()):
                if view is page:
                    view.reload(wait_until="domcontentloaded")
                else:
                    view.goto(served.url, wait_until="domcontentloaded")
                view.get_by_text(f"train with {ROUNDS} rounds").first.wait_for(timeout=60_000)
                view.get_by_text(f"Chosen point: round {target}", exact=True).wait_for(
                    timeout=60_000
                )
            assert api.get("/api/runs").json()["runs"][0]["id"] == chosen_run
            assert len(api.get("/api/runs").json()["runs"]) == 1
            api.close()
        finally:
            context.close()

    # Ctrl-C stops both processes, cleanly
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=30) == 0, served.log.read_text()
    assert "fairfront stopped." in served.log.read_text()
    for port in served.ports:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
