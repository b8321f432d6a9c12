"""Your own data over real HTTP: each transformed CSV uploaded, profiled, set up and
trained (MMM-Fair, a few rounds) to a non-trivial front; bad requests refused with 422
before any job is queued."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from csv_family import CSVCase, family

from .conftest import LiveServer, module_server, read_events

CASES = {case.name: case for case in family()}
ROUNDS = 30


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from module_server(tmp_path_factory, "family")


@pytest.fixture(scope="module")
def uploads(live: LiveServer) -> dict[str, dict[str, Any]]:
    out = {}
    for case in family():
        response = live.client.post(
            "/api/datasets", files={"file": (case.name, case.content, "text/csv")}
        )
        assert response.status_code == 201, response.text
        out[case.name] = response.json()
    return out


def set_up(case: CSVCase, upload: dict[str, Any], live: LiveServer) -> dict[str, Any]:
    """The run request the profile's default set-up gives (plus the person's answers)."""
    profile = upload["profile"]
    if case.target_rule is not None:  # the person says how to binarise the target
        profile = live.client.get(
            f"/api/datasets/{upload['id']}", params={"target_rule": case.target_rule}
        ).json()["profile"]
    upload["setup_profile"] = profile
    return {
        "dataset": upload["id"],
        "target": None if case.target_rule else profile["target"],
        "target_rule": profile["target_rule"],
        "positive": None if case.target_rule else (profile["positive"] or case.answer),
        "protected": profile["suggested_protected"],
        "rounds": ROUNDS,
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_upload_set_up_and_train(
    live: LiveServer, uploads: dict[str, dict[str, Any]], name: str
) -> None:
    case, upload = CASES[name], uploads[name]
    assert upload["name"] == upload["display_name"] == case.name
    body = set_up(case, upload, live)
    assert body["protected"] == list(case.protected)
    assert body["positive"] == (None if case.target_rule else case.run_positive)
    response = live.client.post("/api/runs", json=body)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    events = read_events(live.client, run_id, timeout=300)
    assert events[-1].event == "done", events[-1].data
    front = live.client.get(f"/api/runs/{run_id}/front").json()
    selected = next(p for p in front["points"] if p["selected"])
    on_front = [p for p in front["points"] if p["on_front"] and not p["trivial"]]
    assert not selected["trivial"] and len(on_front) >= 1
    test = selected["test"]
    assert test["balanced_accuracy"] > 0.55, test["balanced_accuracy"]
    notion = front["notions"][0]
    row = {
        "file": case.name,
        "target": case.target_rule or f"{body['target']} (positive {body['positive']!r})",
        "protected": body["protected"],
        "excluded": [e["column"] for e in upload["setup_profile"]["excluded"]],
        "csv": {k: upload["profile"]["csv"][k] for k in ("delimiter_name", "encoding", "decimal")},
        "round": selected["round"],
        "test_balanced_accuracy": test["balanced_accuracy"],
        "test_worst_gap": {notion: test[notion]["value"]},
        "front_points": len(on_front),
    }
    table = os.environ.get("FAIRFRONT_FAMILY_TABLE")
    if table:
        with open(table, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(row) + "\n")
    # The card names the upload by its name and holds no server path.
    card = live.client.get(f"/api/runs/{run_id}/points/{selected['round']}/model-card")
    assert card.status_code == 200, card.text
    assert str(live.models_dir) not in card.text and upload["id"] not in card.text
    assert card.json()["dataset"]["name"] == Path(case.name).stem
    if case.target_rule:
        assert card.json()["target"]["binarised_by"]["text"] == case.target_rule
    run = live.client.get(f"/api/runs/{run_id}").json()
    assert str(live.models_dir) not in json.dumps(run)


# ----- checked before a job is queued ----------------------------------------------------
def runs(live: LiveServer) -> set[str]:
    return {r["id"] for r in live.client.get("/api/runs").json()["runs"]}


@pytest.mark.parametrize(
    ("name", "change", "field", "words"),
    [
        ("german_semicolon.csv", {"target": "Probabilty"}, "target", "did you mean"),
        ("german_semicolon.csv", {"protected": ["Probability"]}, "protected", "is the target"),
        ("german_semicolon.csv", {"protected": ["gender"]}, "protected", "'gender'"),
        ("german_semicolon.csv", {"positive": None}, "positive", "'1' or '2'"),
        ("german_semicolon.csv", {"positive": "3"}, "positive", "not a value"),
        ("german_amount.csv", {"target": "credit_amount"}, "target_rule", "median"),
        ("german_amount.csv", {"target_rule": "credit_amount > 12000"}, "target_rule", "rows in"),
        ("german_amount.csv", {"target_rule": "amount > 3"}, "target_rule", "not in the data"),
        ("german_amount.csv", {"target_rule": "credit_amount >"}, "target_rule", ""),
        (
            "german_amount.csv",
            {"target_rule": "credit_amount > median", "positive": "1"},
            "positive",
            "leave positive unset",
        ),
        ("bank_bom_id.csv", {"keep": ["IDs"]}, "keep", "did you mean 'ID'"),
    ],
)
def test_bad_run_requests_are_422_naming_the_field(
    live: LiveServer,
    uploads: dict[str, dict[str, Any]],
    name: str,
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    case, upload = CASES[name], uploads[name]
    body = {
        "dataset": upload["id"],
        "target": case.target if case.target_rule is None else None,
        "positive": case.run_positive,
        "protected": list(case.protected),
        "rounds": 5,
        **change,
    }
    before = runs(live)
    response = live.client.post("/api/runs", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert runs(live) == before


def test_all_missing_protected_column_is_422(live: LiveServer) -> None:
    source = CASES["bank_bom_id.csv"].source
    assert source is not None
    frame = source.assign(disability="")
    response = live.client.post(
        "/api/datasets",
        files={"file": ("gaps.csv", frame.to_csv(index=False).encode(), "text/csv")},
    )
    assert response.status_code == 201, response.text
    column = next(c for c in response.json()["profile"]["columns"] if c["name"] == "disability")
    assert column["missing_share"] == 1.0 and column["kind"] == "empty"
    body = {
        "dataset": response.json()["id"],
        "target": "y",
        "positive": "yes",
        "protected": ["disability"],
        "rounds": 5,
    }
    response = live.client.post("/api/runs", json=body)
    assert response.status_code == 422 and response.json()["field"] == "protected"
    assert "'disability' has no values" in response.json()["detail"]


def test_profile_for_another_target(live: LiveServer, uploads: dict[str, dict[str, Any]]) -> None:
    upload = uploads["adult_education.csv"]
    assert upload["profile"]["excluded"] == []  # no target suggested: no leakage known
    again = live.client.get(
        f"/api/datasets/{upload['id']}", params={"target_rule": "education-num >= 13"}
    )
    assert again.status_code == 200, again.text
    profile = again.json()["profile"]
    assert profile["excluded"] == [{"column": "education", "reason": "leakage"}]
    assert profile["target"] == "education-num" and profile["setup_error"] is None
    bad = live.client.get(f"/api/datasets/{upload['id']}", params={"target": "salary"})
    assert bad.status_code == 422 and bad.json()["field"] == "target"
    bad = live.client.get(f"/api/datasets/{upload['id']}", params={"target_rule": "age >>= 3"})
    assert bad.status_code == 422 and bad.json()["field"] == "target_rule"
