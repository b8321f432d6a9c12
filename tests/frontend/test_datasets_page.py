"""The Datasets page shows an upload's profile: the detected format, the suggested
target, the protected attributes with every group's size per split and their warnings,
and the columns left out by default."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from csv_family import family
from streamlit.testing.v1 import AppTest

from .conftest import Service, no_traceback


def test_datasets_page_shows_the_profile(
    app_test: Callable[..., AppTest], service: Service
) -> None:
    case = next(c for c in family() if c.name == "german_semicolon.csv")
    uploaded = service.client.post(
        "/api/datasets", files={"file": (case.name, case.content, "text/csv")}
    )
    assert uploaded.status_code == 201, uploaded.text
    profile = uploaded.json()["profile"]
    at = app_test().run()
    at.switch_page("pages/datasets.py").run()
    at.selectbox(key="datasets-pick").select(case.name).run()
    no_traceback(at)
    shown = " ".join(m.value for m in at.markdown)
    assert "delimiter **semicolon**" in shown and "decimal mark **,**" in shown
    assert "decimal commas in monthly_rate" in shown
    tables = [d.value for d in at.dataframe]

    def table(*columns: str) -> pd.DataFrame:
        return next(t for t in tables if set(columns) <= set(t.columns))

    targets = table("column", "why", "question")
    assert targets["column"].iloc[0] == "Probability"
    assert "'1' or '2'" in targets["question"].iloc[0]
    sex = next(t for t in tables if "group" in t.columns and "male" in set(t["group"]))
    expected = {g: s["train"] for g, s in profile["protected_suggestions"][0]["groups"].items()}
    assert dict(zip(sex["group"], sex["train"], strict=True)) == expected
    warnings = " ".join(w.value for w in at.warning)
    assert "'non-A201' of 'foreign_worker' has" in warnings
    columns = table("column", "kind", "flags")
    assert set(columns["column"]) >= {"monthly_rate", "Probability", "sex", "age"}
