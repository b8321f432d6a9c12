"""A dataset's profile: its columns, what they look like, and a default set-up.

:func:`profile_frame` (and :func:`profile_csv`) describe each column (kind, missing
share, distinct values, flags), suggest targets (ranked; the positive class only when
it is unambiguous, else a question) and protected attributes with usable groups (a
numeric attribute is binned, small groups merged into "other"), and report every
group's size in the training and validation splits of the default set-up before
anything is trained. Nothing here imports a web framework.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairfront.datasets._csv import CSVFormat, dataset_name, read_csv
from fairfront.datasets._dataset import (
    DEFAULT_TEST_SIZE,
    Dataset,
    build_dataset,
    split_rows,
    target_text,
)
from fairfront.datasets._flags import (
    column_flags,
    column_kind,
    excluded_columns,
    leakage_columns,
    name_tokens,
)
from fairfront.datasets._target import (
    TargetRule,
    infer_positive,
    label_text,
    label_texts,
    match_label,
    positive_question,
)
from fairfront.datasets.errors import DatasetError
from fairfront.groups import GroupingError, ProtectedAttribute, value_text

__all__ = [
    "AGE_EDGES",
    "MAX_GROUPS",
    "PROTECTED_MEANINGS",
    "TARGET_WORDS",
    "VALIDATION_SHARE",
    "DatasetProfile",
    "column_profiles",
    "group_floor",
    "profile_csv",
    "profile_frame",
]

TARGET_WORDS = (
    "target", "label", "class", "outcome", "y", "default", "defaulted", "pass", "passed",
    "income", "recid", "recidivism", "churn", "survived", "approved", "approval", "fraud",
    "response", "decision", "result", "grade", "score", "hired", "admitted", "subscribed",
)  # fmt: skip
"""Words (whole words of a column name) that mark a column as the outcome."""

PROTECTED_MEANINGS: dict[str, tuple[str, ...]] = {
    "sex or gender": ("sex", "gender", "female", "male", "women", "men"),
    "race or ethnicity": ("race", "ethnicity", "ethnic", "colour", "color", "skin"),
    "age": ("age", "birth", "dob", "yob", "born"),
    "marital status": ("marital", "married", "marriage", "spouse"),
    "religion": ("religion", "religious", "faith"),
    "nationality": (
        "nationality", "national", "citizenship", "citizen", "country", "native",
        "foreign", "immigrant", "immigration", "origin",
    ),
    "disability": ("disability", "disabled", "handicap", "impairment"),
    "pregnancy": ("pregnant", "pregnancy", "maternity"),
    "sexual orientation": ("orientation", "lgbt", "lgbtq"),
}  # fmt: skip
"""Protected meanings and the words of a column name that signal them."""

_MEANING_VALUES: dict[str, frozenset[str]] = {
    "sex or gender": frozenset({"male", "female", "m", "f", "man", "woman", "men", "women"}),
    "race or ethnicity": frozenset(
        {
            "white",
            "black",
            "asian",
            "hispanic",
            "latino",
            "african-american",
            "caucasian",
            "amer-indian-eskimo",
            "asian-pac-islander",
            "native american",
        }
    ),  # fmt: skip
    "marital status": frozenset(
        {"married", "single", "divorced", "widowed", "separated", "never-married"}
    ),
}
"""Values that give a column's meaning away when its name does not."""

AGE_EDGES = (25, 60)
"""Inner edges for an age in years: under 25 / 25-59 / 60+."""

MAX_GROUPS = 8
"""Most groups a suggested protected attribute has."""

MAX_DEFAULT_PROTECTED = 3
"""Most protected attributes in a default set-up (one per meaning, none below the floor)."""

MIN_GROUP_ROWS = 30
"""Smallest group (training rows) whose gaps are worth reading; see :func:`group_floor`."""

FEW_VALUES = 8
"""A numeric column with at most this many values is grouped by value, not binned."""

VALIDATION_SHARE = 0.2
"""Share of the training part the boosting learners hold out as validation rows."""

LISTED_VALUES = 12
"""A column with at most this many values lists them in its profile."""


def group_floor(n_train: int) -> int:
    """The smallest group size worth reading: 30 rows or 1% of the training split."""
    return max(MIN_GROUP_ROWS, math.ceil(0.01 * n_train))


def _meaning(name: str, series: pd.Series) -> tuple[str | None, str]:
    """(protected meaning, why) from the column's name words or values."""
    tokens = set(name_tokens(name))
    for meaning, words in PROTECTED_MEANINGS.items():
        hit = sorted(tokens & set(words))
        if hit:
            return meaning, f"its name says {meaning} ({hit[0]!r})"
    if not pd.api.types.is_numeric_dtype(series.dtype):
        values = {str(v).strip().lower() for v in series.dropna().unique()[:50]}
        for meaning, known in _MEANING_VALUES.items():
            hits = sorted(values & known)
            if len(hits) >= 2:
                return meaning, f"its values say {meaning} ({', '.join(hits[:3])})"
    return None, ""


@dataclass
class DatasetProfile:
    """A dataset's profile; :meth:`to_dict` is what the API returns."""

    display_name: str
    rows: int
    columns: list[dict[str, Any]]
    csv: dict[str, Any] | None
    target_suggestions: list[dict[str, Any]]
    protected_suggestions: list[dict[str, Any]]
    excluded: dict[str, str]
    target: str | None = None
    target_rule: str | None = None
    positive: str | None = None
    floor: int = MIN_GROUP_ROWS
    split: dict[str, Any] = field(default_factory=dict)
    setup_error: str | None = None
    notes: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        protected = [p["spec"] for p in self.protected_suggestions if p.get("default")]
        return {
            "display_name": self.display_name,
            "rows": self.rows,
            "columns": self.columns,
            "csv": self.csv,
            "target": self.target,
            "target_rule": self.target_rule,
            "positive": self.positive,
            "target_suggestions": self.target_suggestions,
            "protected_suggestions": self.protected_suggestions,
            "excluded": [{"column": c, "reason": r} for c, r in self.excluded.items()],
            "floor": self.floor,
            "split": self.split,
            "setup_error": self.setup_error,
            "notes": self.notes,
            # the short form older readers use
            "suggested_target": self.target,
            "suggested_protected": protected,
        }

    def leakage_for(
        self, target: str, target_rule: str | TargetRule | None = None
    ) -> dict[str, float]:
        """Columns that alone predict ``target`` (or its rule) almost perfectly, with scores."""
        if self.frame is None:
            raise ValueError("this profile was read back from JSON; profile the data again")
        y, labelled = _labels(self.frame, target, TargetRule.coerce(target_rule))
        if y is None:
            return {}
        flags = column_flags(self.frame.drop(columns=[target]))
        skip = {c for c, f in flags.items() if "identifier" in f}
        return leakage_columns(
            self.frame.loc[labelled].drop(columns=[target]).reset_index(drop=True), y, skip=skip
        )


def _labels(
    frame: pd.DataFrame, target: str, rule: TargetRule | None, positive: str | None = None
) -> tuple[np.ndarray | None, np.ndarray]:
    """A 0/1 label per labelled row (None when the target is not binary) and the row mask.

    1 is ``positive`` (default: the first value in the column, as the set-up assumes
    while the positive class is still a question).
    """
    labelled = frame[target].notna().to_numpy()
    if rule is not None:
        try:
            return rule.apply(frame.loc[labelled, target]).positive.astype(np.int64), labelled
        except DatasetError:
            return None, labelled
    text = target_text(frame.loc[labelled, target])
    values = [str(v) for v in text.unique()]
    if len(values) != 2:
        return None, labelled
    one = match_label(positive, values) if positive is not None else None
    return (text == (one or values[0])).to_numpy().astype(np.int64), labelled


def _column_entry(name: str, series: pd.Series, flags: list[str]) -> dict[str, Any]:
    present = series.dropna()
    distinct = int(present.nunique())
    entry: dict[str, Any] = {
        "name": name,
        "kind": column_kind(series),
        "missing_share": float(series.isna().mean()) if len(series) else 0.0,
        "distinct": distinct,
        "flags": flags,
    }
    if 0 < distinct <= LISTED_VALUES:
        counts = label_texts(present).value_counts()
        entry["values"] = [str(v) for v in counts.index]
        entry["counts"] = {str(k): int(v) for k, v in counts.items()}
    return entry


def column_profiles(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each column's kind, missing share, distinct count, values (when few) and
    target-independent flags: the cheap part of a profile."""
    flags = column_flags(frame)
    return [_column_entry(str(c), frame[c], flags[str(c)]) for c in frame.columns]


def _target_suggestions(
    frame: pd.DataFrame, entries: Sequence[dict[str, Any]], protected_like: set[str]
) -> list[dict[str, Any]]:
    last = str(frame.columns[-1]) if len(frame.columns) else None
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    for position, entry in enumerate(entries):
        name = entry["name"]
        if entry["flags"] and set(entry["flags"]) & {"identifier", "constant", "free_text"}:
            continue
        if entry["kind"] in ("empty", "datetime", "text"):
            continue
        words = sorted(set(name_tokens(name)) & set(TARGET_WORDS))
        binary = entry["kind"] == "binary"
        is_last = name == last
        if name in protected_like and not words:
            continue
        if binary:
            tier = 1 if words else 2 if is_last else 5
        elif words:
            tier = 3
        elif is_last:
            tier = 4
        else:
            continue
        if not binary and entry["kind"] == "categorical" and entry["distinct"] > 20:
            continue
        why: list[str] = ["two values" if binary else f"{entry['distinct']} values"]
        if words:
            why.append(f"its name says it is the outcome ({words[0]!r})")
        if is_last:
            why.append("it is the last column")
        suggestion: dict[str, Any] = {
            "column": name,
            "binary": binary,
            "reason": "; ".join(why),
            "positive": None,
            "positive_question": None,
            "rule": None,
        }
        if binary:
            values = list(entry.get("values") or [])
            positive = infer_positive(values)
            suggestion["values"] = values
            suggestion["positive"] = positive
            if positive is None:
                suggestion["positive_question"] = positive_question(name, values)
        else:
            if entry["kind"] == "numeric":
                rule = f"{name} >= median"
                example = f"'{name} >= median' or '{name} >= <a number>'"
            else:
                top = (entry.get("values") or ["A"])[0]
                rule = f"{name} == {top}"
                example = f"'{name} == {top}' ({top} against the rest)"
            suggestion["rule"] = rule
            suggestion["values"] = entry.get("values")
            suggestion["positive_question"] = (
                f"{name!r} has {entry['distinct']} values; say which rows are the positive "
                f"class with a rule, e.g. {example}"
            )
        ranked.append((tier, -position, suggestion))
    ranked.sort(key=lambda item: (item[0], item[1]))
    for rank, (_, _, suggestion) in enumerate(ranked, start=1):
        suggestion["rank"] = rank
    return [s for _, _, s in ranked]


def _nice(value: float, integral: bool) -> float:
    if integral:
        return float(round(value))
    if value == 0:
        return 0.0
    digits = 2 - int(math.floor(math.log10(abs(value))))
    return float(round(value, digits))


def _bin_edges(values: pd.Series, meaning: str | None) -> tuple[float, ...]:
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if meaning == "age" and x.size and x.min() < AGE_EDGES[-1] and x.max() >= AGE_EDGES[0]:
        return tuple(float(e) for e in AGE_EDGES if x.min() < e <= x.max())
    integral = bool(np.all(np.mod(x, 1) == 0))
    edges: list[float] = []
    for q in (1 / 3, 2 / 3):
        edge = _nice(float(np.quantile(x, q)), integral)
        if x.min() < edge <= x.max() and (not edges or edge > edges[-1]):
            edges.append(edge)
    return tuple(edges)


def _bucket_counts(attribute: ProtectedAttribute, series: pd.Series) -> pd.Series:
    groups = attribute.encode(series)
    labels = attribute.bucket_labels() or []
    counts = groups.value_counts()
    return pd.Series([int(counts.get(label, 0)) for label in labels], index=labels)


def _merge_bins(
    column: str, series: pd.Series, edges: tuple[float, ...], floor: int
) -> tuple[float, ...]:
    """Drop inner edges until every bucket reaches the floor (or one edge is left)."""
    while len(edges) > 1:
        counts = _bucket_counts(ProtectedAttribute(column, edges=edges), series).to_numpy()
        small = int(np.argmin(counts))
        if counts[small] >= floor:
            break
        if small == 0:
            drop = 0
        elif small == len(counts) - 1:
            drop = len(edges) - 1
        else:  # merge with the smaller neighbour
            drop = small - 1 if counts[small - 1] <= counts[small + 1] else small
        edges = edges[:drop] + edges[drop + 1 :]
    return edges


def _value_groups(column: str, series: pd.Series, floor: int) -> tuple[str, list[str], list[str]]:
    """(spec text, values kept as their own group, notes) for a grouped-by-value attribute."""
    counts = series.dropna().map(value_text).value_counts()
    listable = [str(v) for v in counts.index if "," not in str(v)]
    if len(counts) <= MAX_GROUPS and int(counts.min()) >= floor and len(listable) == len(counts):
        return column, [str(v) for v in counts.index], []
    big = [v for v in listable if int(counts[v]) >= floor][: MAX_GROUPS - 1]
    rest_size = int(counts.sum()) - sum(int(counts[v]) for v in big)
    while len(big) > 1 and rest_size < floor:
        smallest = big.pop()
        rest_size += int(counts[smallest])
    if not big:
        big = listable[:1]
    notes = [
        f"{len(counts) - len(big)} smaller values merged into 'other'"
        if len(counts) - len(big) > 1
        else f"value {next(str(v) for v in counts.index if str(v) not in big)!r} is 'other'"
    ]
    return f"{column}:={','.join(big)}", big, notes


def _suggest_attribute(
    column: str, series: pd.Series, meaning: str | None, floor: int
) -> tuple[str, tuple[float, ...] | None, list[str]]:
    """(spec text for RunSpec.protected, bin edges or None, notes)."""
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )
    distinct = int(series.nunique(dropna=True))
    if numeric and distinct > FEW_VALUES:
        edges = _bin_edges(series, meaning)
        if edges:
            merged = _merge_bins(column, series, edges, floor)
            notes = [] if merged == edges else ["bins merged to reach the group floor"]
            how = "age bands" if meaning == "age" else "bins at the tertiles"
            return f"{column}:{','.join(value_text(e) for e in merged)}", merged, [how, *notes]
    spec, _, notes = _value_groups(column, series, floor)
    return spec, None, notes


def _count_table(train: pd.Series, test: pd.Series) -> dict[str, dict[str, int]]:
    """Rows per group: training part, the validation rows held out of it, test split."""
    labels = sorted(set(train.index) | set(test.index), key=lambda g: -int(train.get(g, 0)))
    return {
        str(label): {
            "train": int(train.get(label, 0)),
            "validation": int(round(VALIDATION_SHARE * int(train.get(label, 0)))),
            "test": int(test.get(label, 0)),
        }
        for label in labels
    }


def _group_sizes(data: Dataset, column: str) -> dict[str, dict[str, int]]:
    """Group sizes of a built set-up."""
    test = data.sensitive_test if data.sensitive_test is not None else data.sensitive.iloc[:0]
    return _count_table(data.sensitive[column].value_counts(), test[column].value_counts())


def _sizes(groups: pd.Series, in_train: np.ndarray) -> dict[str, dict[str, int]]:
    """Group sizes from each row's group and whether it is a training row."""
    return _count_table(groups[in_train].value_counts(), groups[~in_train].value_counts())


def _train_mask(
    rows: pd.DataFrame,
    y: np.ndarray | None,
    groups: Mapping[str, pd.Series],
    attributes: Sequence[ProtectedAttribute],
    test_frame: pd.DataFrame | None,
    n_first: int,
    labelled: np.ndarray,
    test_size: float | None,
    random_state: int,
) -> np.ndarray:
    """Which labelled rows fall in the training part, as :func:`build_dataset` splits them."""
    n = len(rows)
    if test_frame is not None:
        return (np.arange(len(labelled)) < n_first)[labelled]
    if test_size == 0 or y is None or not attributes:
        return np.ones(n, dtype=bool)
    size = DEFAULT_TEST_SIZE if test_size is None else test_size
    train, _ = split_rows(len(y), y, groups[attributes[0].column], size, random_state)
    mask = np.zeros(n, dtype=bool)
    mask[train] = True
    return mask


def _group_warnings(column: str, sizes: Mapping[str, Mapping[str, int]], floor: int) -> list[str]:
    warnings = []
    for label, size in sizes.items():
        if size["train"] < floor:
            warnings.append(
                f"group {label!r} of {column!r} has {size['train']} training rows (about "
                f"{size['validation']} for validation), under the floor of {floor}: its gaps "
                "are too noisy to mean much"
            )
    if len(sizes) > MAX_GROUPS:
        warnings.append(f"{column!r} has {len(sizes)} groups (more than {MAX_GROUPS})")
    return warnings


def profile_frame(
    frame: pd.DataFrame,
    *,
    display_name: str,
    csv_format: CSVFormat | None = None,
    target: str | None = None,
    target_rule: str | TargetRule | None = None,
    positive: str | None = None,
    protected: Sequence[ProtectedAttribute] | None = None,
    test_frame: pd.DataFrame | None = None,
    exclude_flagged: bool = True,
    test_size: float | None = None,
    random_state: int = 0,
) -> DatasetProfile:
    """Profile a frame and work out its default set-up.

    ``target`` (or ``target_rule``) fixes the target instead of the top suggestion;
    ``protected`` fixes the protected attributes (a built-in's defaults) instead of
    the suggestions. The default set-up is built with
    :func:`~fairfront.datasets.build_dataset` exactly as a run would build it, so the
    group sizes shown are the run's (validation rows: about 20% of each group's
    training rows, which the learner holds out stratified by group and label).
    """
    rule = TargetRule.coerce(target_rule)
    if rule is not None:
        target = rule.column
    full = frame if test_frame is None else pd.concat([frame, test_frame], ignore_index=True)
    flags = column_flags(full)
    entries = [_column_entry(str(c), full[c], flags[str(c)]) for c in full.columns]
    meanings = {str(c): _meaning(str(c), full[c]) for c in full.columns}
    protected_like = {c for c, (m, _) in meanings.items() if m is not None}
    suggestions = _target_suggestions(full, entries, protected_like)
    notes: list[str] = []
    if target is None and suggestions:
        top = suggestions[0]
        target = top["column"]
        if not top["binary"]:
            kind = next(e["kind"] for e in entries if e["name"] == target)
            values = top.get("values") or []
            try:
                rule = (
                    TargetRule(target, ">=", "median")
                    if kind == "numeric"
                    else TargetRule(target, "==", str(values[0]))
                )
            except (DatasetError, IndexError):
                rule = None
            if rule is not None:
                notes.append(
                    f"the target {target!r} is not binary; the set-up assumes {rule.text!r}"
                )
    if target is not None and not any(s["column"] == target for s in suggestions):
        entry = next((e for e in entries if e["name"] == target), None)
        if entry is not None:
            values = list(entry.get("values") or [])
            binary = entry["kind"] == "binary"
            inferred = infer_positive(values) if binary else None
            suggestions.insert(
                0,
                {
                    "column": target,
                    "binary": binary,
                    "reason": "chosen",
                    "values": values,
                    "positive": inferred,
                    "positive_question": None
                    if inferred is not None or not binary
                    else positive_question(target, values),
                    "rule": None,
                    "rank": 0,
                },
            )
    if positive is None and rule is None and target is not None:
        positive = next((s["positive"] for s in suggestions if s["column"] == target), None)

    excluded: dict[str, str] = {}
    y: np.ndarray | None = None
    labelled = np.ones(len(full), dtype=bool)
    if target is not None and target in full.columns:
        y, labelled = _labels(full, target, rule, positive)
        if y is not None:
            skip = {c for c, f in flags.items() if "identifier" in f} | {target}
            features = full.loc[labelled].drop(columns=[target]).reset_index(drop=True)
            for column, score in leakage_columns(features, y, skip=skip).items():
                flags[column].append("leakage")
                entry = next(e for e in entries if e["name"] == column)
                entry["leakage_score"] = round(score, 4)
        excluded = {c: r for c, r in excluded_columns(flags).items() if c != target}

    n_labelled = int(labelled.sum())
    n_train_guess = (
        len(frame)
        if test_frame is not None
        else int(n_labelled * (1 - (DEFAULT_TEST_SIZE if test_size is None else test_size)))
    )
    floor = group_floor(n_train_guess)

    reasons: dict[str, str] = {}
    how: dict[str, list[str]] = {}
    fixed = protected is not None
    if protected is not None:
        candidates = list(protected)
        reasons = {a.column: "the dataset's default" for a in candidates}
    else:
        candidates = []
        train_rows = full.loc[labelled].reset_index(drop=True)
        if y is not None and test_frame is None and len(train_rows) >= 4:
            order, _ = split_rows(
                len(y),
                y,
                pd.Series(np.zeros(len(y), dtype=int)),
                DEFAULT_TEST_SIZE if test_size is None else test_size,
                random_state,
            )
            train_rows = train_rows.iloc[order]
        rank = {m: i for i, m in enumerate(PROTECTED_MEANINGS)}
        found = sorted(
            ((rank[m], i, c, why) for i, (c, (m, why)) in enumerate(meanings.items()) if m),
        )
        for _, _, column, why in found:
            if column == target or column in excluded or "constant" in flags[column]:
                continue
            spec, _, notes_for = _suggest_attribute(
                column, train_rows[column], meanings[column][0], floor
            )
            try:
                candidates.append(ProtectedAttribute.parse(spec))
            except GroupingError:
                continue
            reasons[column] = why
            how[column] = notes_for

    setup_error: str | None = None
    data: Dataset | None = None
    sizes: dict[str, dict[str, dict[str, int]]] = {}
    warnings: dict[str, list[str]] = {}
    defaults: list[ProtectedAttribute] = []
    if target is None:
        setup_error = "no column looks like a target; name the column to predict"
    elif not candidates:
        setup_error = "no column looks like a protected attribute; name one"
    else:
        rows = full.loc[labelled].reset_index(drop=True)
        groups: dict[str, pd.Series] = {}
        usable: list[ProtectedAttribute] = []
        for attribute in candidates:
            try:
                encoded = attribute.encode(rows[attribute.column])
            except GroupingError as error:
                warnings[attribute.column] = [str(error)]
                continue
            if encoded.nunique() < 2:
                warnings[attribute.column] = [f"{attribute.column!r} forms a single group"]
                continue
            groups[attribute.column] = encoded
            usable.append(attribute)
        in_train = _train_mask(
            rows, y, groups, usable, test_frame, len(frame), labelled, test_size, random_state
        )
        for attribute in usable:
            sizes[attribute.column] = _sizes(groups[attribute.column], in_train)
            warnings[attribute.column] = _group_warnings(
                attribute.column, sizes[attribute.column], floor
            )
        if fixed:
            defaults = usable
        else:
            per_meaning: dict[str, ProtectedAttribute] = {}
            for attribute in usable:
                meaning = meanings[attribute.column][0] or ""
                if meaning not in per_meaning and not warnings[attribute.column]:
                    per_meaning[meaning] = attribute
            defaults = list(per_meaning.values())[:MAX_DEFAULT_PROTECTED] or usable[:1]
        if defaults:
            if not fixed and defaults[0] is not usable[0]:
                in_train = _train_mask(
                    rows,
                    y,
                    groups,
                    defaults,
                    test_frame,
                    len(frame),
                    labelled,
                    test_size,
                    random_state,
                )
                for attribute in usable:
                    sizes[attribute.column] = _sizes(groups[attribute.column], in_train)
                    warnings[attribute.column] = _group_warnings(
                        attribute.column, sizes[attribute.column], floor
                    )
            if not fixed:  # regroup the others on the split the default set-up makes
                for i, attribute in enumerate(candidates):
                    column = attribute.column
                    if attribute in defaults or not warnings.get(column) or column not in groups:
                        continue
                    spec, _, notes_for = _suggest_attribute(
                        column, rows.loc[in_train, column], meanings[column][0], floor
                    )
                    regrouped = ProtectedAttribute.parse(spec)
                    groups[column] = regrouped.encode(rows[column])
                    candidates[i] = regrouped
                    how[column] = notes_for
                    sizes[column] = _sizes(groups[column], in_train)
                    warnings[column] = _group_warnings(column, sizes[column], floor)
            try:
                data = build_dataset(
                    frame,
                    test_frame,
                    name=display_name,
                    target=None if rule is not None else target,
                    positive=None if rule is not None else (positive or _any_value(full, target)),
                    protected=defaults,
                    test_size=test_size,
                    random_state=random_state,
                    target_rule=rule,
                    exclude_flagged=exclude_flagged,
                )
            except DatasetError as error:
                setup_error = str(error)
            else:  # the counts shown are the run's: check them against the built set-up
                for attribute in defaults:
                    sizes[attribute.column] = _group_sizes(data, attribute.column)
        else:
            setup_error = "no suggested protected attribute forms two groups; name one"

    chosen = {a.column for a in candidates}
    excluded = {c: r for c, r in excluded.items() if c not in chosen}
    default_columns = [a.column for a in defaults]
    protected_suggestions: list[dict[str, Any]] = []
    for attribute in candidates:
        protected_suggestions.append(
            {
                "column": attribute.column,
                "reason": reasons.get(attribute.column, ""),
                "spec": attribute.column if fixed else _spec_text(attribute),
                "default": attribute.column in default_columns,
                "bins": None
                if attribute.edges is None
                else [value_text(e) for e in attribute.edges],
                "groups": sizes.get(attribute.column, {}),
                "warnings": warnings.get(attribute.column, []),
                "notes": how.get(attribute.column, []),
            }
        )
    protected_suggestions.sort(key=lambda p: not p["default"])
    split = {}
    if data is not None:
        n_train = len(data.X)
        split = {
            "train": n_train,
            "validation": int(round(VALIDATION_SHARE * n_train)),
            "test": 0 if data.X_test is None else len(data.X_test),
            "note": "validation rows are held out of the training part by the learner "
            "(about 20%, stratified by group and label); train and test counts are exact",
        }
    return DatasetProfile(
        display_name=display_name,
        rows=len(full),
        columns=entries,
        csv=None if csv_format is None else csv_format.to_dict(),
        target_suggestions=suggestions,
        protected_suggestions=protected_suggestions,
        excluded=excluded if exclude_flagged else {},
        target=target,
        target_rule=None if rule is None else rule.text,
        positive=positive if rule is None else None,
        floor=floor,
        split=split,
        setup_error=setup_error,
        notes=notes,
        frame=full,
    )


def _any_value(frame: pd.DataFrame, target: str) -> str | None:
    """A value of the target, to build the set-up when the positive class is still open."""
    present = frame[target].dropna()
    return label_text(present.iloc[0]) if len(present) else None


def _spec_text(attribute: ProtectedAttribute) -> str:
    """The text :meth:`ProtectedAttribute.parse` reads back into ``attribute``."""
    if attribute.edges is not None and attribute.groups is None:
        return f"{attribute.column}:{','.join(value_text(e) for e in attribute.edges)}"
    if attribute.groups is None:
        return attribute.column
    singles = all(len(m) == 1 and m[0] == label for label, m in attribute.groups.items())
    if singles and attribute.edges is None and attribute.rest in ("other", None):
        listed = ",".join(attribute.groups)
        return f"{attribute.column}:={listed}" if attribute.rest else attribute.column
    return attribute.column


def profile_csv(
    path: str | Path,
    *,
    display_name: str | None = None,
    target: str | None = None,
    target_rule: str | TargetRule | None = None,
    positive: str | None = None,
    max_rows: int | None = None,
    max_columns: int | None = None,
) -> DatasetProfile:
    """Read a CSV with the one reader and profile it (see :func:`profile_frame`)."""
    frame, detected = read_csv(path, max_rows=max_rows, max_columns=max_columns, label=display_name)
    return profile_frame(
        frame,
        display_name=display_name or dataset_name(path),
        csv_format=detected,
        target=target,
        target_rule=target_rule,
        positive=positive,
    )
