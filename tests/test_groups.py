"""Tests for protected attributes: bucketing, grouping, parsing, describing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fairfront.groups import (
    MISSING_LABEL,
    GroupingError,
    NotNumericError,
    ProtectedAttribute,
    ProtectedSpecError,
    UncoveredValueError,
    bucket_labels,
)

AGE_DEFAULT = ProtectedAttribute(
    "age",
    edges=(25, 60),
    groups={"25-59": ("25-59",), "under 25 or 60+": ("under 25", "60+")},
)


def test_bucket_labels_integer_edges() -> None:
    assert bucket_labels((25, 60)) == ["under 25", "25-59", "60+"]
    assert bucket_labels((25,)) == ["under 25", "25+"]
    assert bucket_labels((25, 26, 45)) == ["under 25", "25", "26-44", "45+"]
    assert bucket_labels((25.0, 60.0)) == ["under 25", "25-59", "60+"]


def test_bucket_labels_float_edges() -> None:
    assert bucket_labels((0.5, 2.5)) == ["(-inf, 0.5)", "[0.5, 2.5)", "[2.5, inf)"]
    assert bucket_labels((1, 2.5)) == ["(-inf, 1)", "[1, 2.5)", "[2.5, inf)"]


def test_encode_edges_boundaries_and_missing() -> None:
    attr = ProtectedAttribute("age", edges=(25, 60))
    ages = pd.Series([17, 24.9, 25, 59, 59.99, 60, 90, np.nan], index=list("abcdefgh"))
    out = attr.encode(ages)
    assert list(out.index) == list("abcdefgh")
    assert out.name == "age"
    assert list(out) == [
        "under 25", "under 25", "25-59", "25-59", "25-59", "60+", "60+", MISSING_LABEL,
    ]  # fmt: skip


def test_encode_edges_with_merged_groups() -> None:
    out = AGE_DEFAULT.encode(pd.Series([18, 30, 70]))
    assert list(out) == ["under 25 or 60+", "25-59", "under 25 or 60+"]


def test_encode_all_values_and_missing_only_when_present() -> None:
    attr = ProtectedAttribute("race")
    assert set(attr.encode(pd.Series(["White", "Black", "White"]))) == {"White", "Black"}
    with_missing = attr.encode(pd.Series(["White", None, np.nan], dtype=object))
    assert list(with_missing) == ["White", MISSING_LABEL, MISSING_LABEL]


def test_encode_groups_with_rest() -> None:
    attr = ProtectedAttribute("race", groups={"White": ("White",)}, rest="non-White")
    out = attr.encode(pd.Series(["White", "Black", "Other", "White"]))
    assert list(out) == ["White", "non-White", "non-White", "White"]
    assert out.dtype == object


def test_encode_works_on_pandas_str_dtype() -> None:
    attr = ProtectedAttribute("sex", groups={"F": ("Female",), "M": ("Male",)})
    out = attr.encode(pd.Series(["Female", "Male", None], dtype="str"))
    assert list(out) == ["F", "M", MISSING_LABEL]


def test_uncovered_value_raises_naming_column_and_value() -> None:
    attr = ProtectedAttribute("sex", groups={"Female": ("Female",), "Male": ("Male",)})
    with pytest.raises(UncoveredValueError, match="'sex'.*'Unknown'") as info:
        attr.encode(pd.Series(["Female", "Unknown"]))
    assert info.value.column == "sex"
    assert info.value.value == "Unknown"
    assert isinstance(info.value, ValueError)


def test_uncovered_bucket_raises() -> None:
    attr = ProtectedAttribute("age", edges=(25, 60), groups={"young": ("under 25",)})
    with pytest.raises(UncoveredValueError, match="'age'.*30.*'25-59'"):
        attr.encode(pd.Series([20, 30]))


def test_numeric_values_compare_by_text() -> None:
    attr = ProtectedAttribute("code", groups={"one": ("1",)}, rest="other")
    out = attr.encode(pd.Series([1.0, 2.0, 1.0]))
    assert list(out) == ["one", "other", "one"]
    assert list(ProtectedAttribute("code").encode(pd.Series([1.0, 2.0]))) == ["1", "2"]


def test_non_numeric_value_with_edges_raises() -> None:
    attr = ProtectedAttribute("age", edges=(25,))
    with pytest.raises(NotNumericError, match="'age'.*'old'"):
        attr.encode(pd.Series(["30", "old"], dtype=object))
    assert list(attr.encode(pd.Series(["30", "20"], dtype=object))) == ["25+", "under 25"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"groups": {"a": ("x",), "b": ("x",)}}, "both groups"),
        ({"rest": "other"}, "needs 'groups'"),
        ({"edges": (60, 25)}, "strictly increasing"),
        ({"edges": ()}, "empty"),
        ({"edges": (float("inf"),)}, "finite"),
        ({"edges": (25, 60), "groups": {"young": ("under 18",)}}, "not bucket labels"),
        ({"groups": {"a": ("x",)}, "rest": "a"}, "also a group"),
        ({"groups": {"a": ()}}, "no members"),
    ],
)
def test_invalid_definitions(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ProtectedSpecError, match=match):
        ProtectedAttribute("col", **kwargs)  # type: ignore[arg-type]


def test_groups_are_copied_and_hashable() -> None:
    groups = {"White": ["White"]}
    attr = ProtectedAttribute("race", groups=groups, rest="non-White")  # type: ignore[arg-type]
    groups["White"].append("Black")
    assert attr.groups == {"White": ("White",)}
    same = ProtectedAttribute("race", groups={"White": ("White",)}, rest="non-White")
    assert attr == same
    assert hash(attr) == hash(same)
    assert len({attr, same, AGE_DEFAULT}) == 2


def test_describe_is_json_able() -> None:
    described = AGE_DEFAULT.describe()
    assert json.loads(json.dumps(described)) == described
    assert described["column"] == "age"
    assert described["edges"] == [25, 60]
    assert described["buckets"] == ["under 25", "25-59", "60+"]
    assert described["groups"] == {"25-59": ["25-59"], "under 25 or 60+": ["under 25", "60+"]}
    all_values = ProtectedAttribute("race").describe()
    assert all_values["groups"] is None
    assert all_values["all_values"] is True
    assert AGE_DEFAULT.group_labels() == ["25-59", "under 25 or 60+"]
    rest = ProtectedAttribute("race", groups={"White": ("White",)}, rest="non-White")
    assert rest.group_labels() == ["White", "non-White"]


def test_parse_plain_column_uses_defaults() -> None:
    defaults = {"age": AGE_DEFAULT}
    assert ProtectedAttribute.parse("age", defaults) is AGE_DEFAULT
    assert ProtectedAttribute.parse(" sex ", defaults) == ProtectedAttribute("sex")
    assert ProtectedAttribute.parse("sex") == ProtectedAttribute("sex")


def test_parse_all_edges_and_values() -> None:
    defaults = {"race": ProtectedAttribute("race", groups={"W": ("White",)}, rest="x")}
    assert ProtectedAttribute.parse("race:all", defaults) == ProtectedAttribute("race")
    assert ProtectedAttribute.parse("age:25,60") == ProtectedAttribute("age", edges=(25.0, 60.0))
    assert ProtectedAttribute.parse("age: 25, 45, 65").edges == (25.0, 45.0, 65.0)
    one = ProtectedAttribute.parse("race:White")
    assert one == ProtectedAttribute("race", groups={"White": ("White",)}, rest="non-White")
    two = ProtectedAttribute.parse("race:White,Asian-Pac-Islander")
    assert two.groups == {"White": ("White",), "Asian-Pac-Islander": ("Asian-Pac-Islander",)}
    assert two.rest == "other"
    forced = ProtectedAttribute.parse("code:=1,2")
    assert forced.edges is None
    assert forced.groups == {"1": ("1",), "2": ("2",)}


@pytest.mark.parametrize(
    "text",
    ["", "   ", ":White", "race:", "age:25,,60", "age:60,25", "race:White,White", "a:x,other"],
)
def test_parse_malformed(text: str) -> None:
    with pytest.raises(ProtectedSpecError) as info:
        ProtectedAttribute.parse(text)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, GroupingError)
