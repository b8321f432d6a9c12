"""Shared fixtures: real datasets, loaded once per test session."""

from __future__ import annotations

import pytest

from fairfront.datasets import Dataset, load_dataset


@pytest.fixture(scope="session")
def adult() -> Dataset:
    return load_dataset("adult")


@pytest.fixture(scope="session")
def compas() -> Dataset:
    return load_dataset("compas")
