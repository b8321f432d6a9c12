"""What a job worker does before its first job: the built-in files read once per
process (each caller gets its own copy), and each family's warm-up run trained."""

from __future__ import annotations

import logging
from importlib import resources

import pandas as pd
import pytest

from fairfront.datasets._builtin import read_packaged
from fairfront.datasets._csv import read_csv_frame
from fairfront.runs import WARM_UP_SPECS, RunSpec, check, import_families, warm_up_families


def test_a_packaged_file_is_read_once_and_each_caller_gets_its_own_copy() -> None:
    first = read_packaged("german.csv.gz")
    first.iloc[:, 0] = "changed by a caller"
    first["added"] = 1
    again = read_packaged("german.csv.gz")
    resource = resources.files("fairfront.datasets").joinpath("data", "german.csv.gz")
    with resource.open("rb") as handle:
        fresh = read_csv_frame(handle, compression="gzip")
    pd.testing.assert_frame_equal(again, fresh)
    assert again is not read_packaged("german.csv.gz")


def test_each_warm_up_run_is_a_valid_run_of_its_family() -> None:
    for kind, spec in WARM_UP_SPECS.items():
        assert RunSpec.from_dict(spec).family == kind
        check(RunSpec.from_dict(spec))


def test_the_warm_up_trains_every_family_available_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pytest.importorskip("torch")
    with caplog.at_level(logging.WARNING, logger="fairfront.runs"):
        assert warm_up_families() == import_families()
    assert not [r for r in caplog.records if "warm-up" in r.getMessage()], caplog.text
