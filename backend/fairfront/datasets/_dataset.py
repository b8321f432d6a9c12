"""The :class:`Dataset` container and the checks shared by built-ins and CSVs."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split

from fairfront.datasets._flags import column_flags, excluded_columns, leakage_columns
from fairfront.datasets._preprocess import (
    as_categorical,
    leakage_warnings,
    make_preprocessor,
    split_kinds,
)
from fairfront.datasets._target import TargetRule, label_texts, match_label
from fairfront.datasets.errors import (
    ConstantProtectedError,
    InvalidOptionError,
    MissingColumnError,
    MostlyMissingColumnError,
    NoFeaturesError,
    PositiveClassRequiredError,
    ProtectedAttributeError,
    TargetNotBinaryError,
    TargetRuleError,
    TooFewRowsError,
    UnknownPositiveClassError,
    UnknownValueError,
)
from fairfront.groups import GroupingError, ProtectedAttribute, value_text

logger = logging.getLogger(__name__)

MIN_ROWS = 20
"""Fewest rows (with a target value) a dataset may have."""

MAX_MISSING_SHARE = 0.5
"""Largest share of missing values a kept column may have."""

DEFAULT_TEST_SIZE = 0.25
"""Held-out share for datasets that come without a test file."""

MIN_CLASS_ROWS = 10
"""Fewest rows of each class the training part must hold: with fewer, every round is
trivial or the validation split holds no row of the class."""


@dataclass
class Dataset:
    """A binary classification dataset with protected-attribute groups.

    ``X`` holds the raw feature columns (categoricals as object-dtype str with
    NaN for missing), ``y`` is int64 with 1 for ``positive``, and ``sensitive``
    holds one column of group labels per protected attribute, aligned with ``X``.
    The ``*_test`` fields are None when there is no held-out part.
    """

    name: str
    target: str
    positive: str
    negative: str
    protected: list[ProtectedAttribute]
    X: pd.DataFrame
    y: np.ndarray
    sensitive: pd.DataFrame
    X_test: pd.DataFrame | None = None
    y_test: np.ndarray | None = None
    sensitive_test: pd.DataFrame | None = None
    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    description: str = ""
    target_rule: dict[str, Any] | None = None
    """The binarisation rule (:meth:`ResolvedRule.describe`) when the label comes from one."""
    excluded: dict[str, str] = field(default_factory=dict)
    """Columns left out of the features because they were flagged, and why."""
    kept: list[str] = field(default_factory=list)
    """Flagged columns the caller put back as features."""

    def preprocessor(self) -> ColumnTransformer:
        """Return a fresh, unfitted preprocessor for this dataset's features."""
        return make_preprocessor(self.categorical, self.numeric)

    @property
    def has_test(self) -> bool:
        """True when the dataset has a held-out test part."""
        return self.X_test is not None

    @property
    def feature_names(self) -> list[str]:
        """Feature columns in ``X`` order."""
        return [str(c) for c in self.X.columns]


def missing_column_error(column: str, role: str, available: Sequence[str]) -> MissingColumnError:
    """Build the error for a column that is not in the data, with close matches."""
    close = difflib.get_close_matches(column, list(available), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(repr(c) for c in list(available)[:30])
    more = " ..." if len(available) > 30 else ""
    return MissingColumnError(
        f"{role} column {column!r} is not in the data{hint} (columns: {shown}{more})",
        column=column,
    )


def resolve_protected(
    protected: Sequence[str | ProtectedAttribute],
    defaults: Mapping[str, ProtectedAttribute] | None,
) -> list[ProtectedAttribute]:
    """Parse protected-attribute texts and reject repeated columns."""
    attributes: list[ProtectedAttribute] = []
    for item in protected:
        try:
            attribute = (
                item
                if isinstance(item, ProtectedAttribute)
                else ProtectedAttribute.parse(item, defaults)
            )
        except GroupingError as exc:
            raise ProtectedAttributeError(str(exc)) from exc
        if any(a.column == attribute.column for a in attributes):
            raise ProtectedAttributeError(
                f"protected column {attribute.column!r} is given twice", column=attribute.column
            )
        attributes.append(attribute)
    return attributes


def target_text(series: pd.Series) -> pd.Series:
    """Target values as text, numbers read alike (``1``, ``1.0``, ``"1"`` are ``"1"``)."""
    text = as_categorical(series)
    present = text.notna()
    text[present] = label_texts(text[present])
    return text


def check_target(text: pd.Series, target: str, positive: str | None) -> tuple[str, str]:
    counts = text.value_counts(dropna=True)
    values = [str(v) for v in counts.index]
    if len(values) != 2:
        shown = ", ".join(f"{v!r} ({int(counts[v])} rows)" for v in values[:5])
        more = " ..." if len(values) > 5 else ""
        raise TargetNotBinaryError(
            f"target column {target!r} must hold exactly 2 distinct values, found "
            f"{len(values)}: {shown}{more}; binarise it with a rule such as "
            f"'{target} >= median' or '{target} == {values[0] if values else 'A'}'",
            column=target,
        )
    if positive is None:
        raise PositiveClassRequiredError(
            f"say which value of target column {target!r} is the positive class: "
            f"{values[0]!r} or {values[1]!r}",
            column=target,
        )
    matched = match_label(value_text(positive), values)
    if matched is None:
        raise UnknownPositiveClassError(
            f"positive class {positive!r} is not a value of target column {target!r}; "
            f"choose {values[0]!r} or {values[1]!r}",
            column=target,
        )
    negative = values[1] if matched == values[0] else values[0]
    return matched, negative


def _check_missing(frame: pd.DataFrame, target: str) -> None:
    share = frame.isna().mean()
    for column, value in share.items():
        if value <= MAX_MISSING_SHARE:
            continue
        limit = f"{value:.0%} missing (more than {MAX_MISSING_SHARE:.0%})"
        if column == target:
            raise MostlyMissingColumnError(
                f"target column {target!r} is {limit}; too few rows have a label", column=target
            )
        raise MostlyMissingColumnError(
            f"column {column!r} is {limit}; drop it with drop=[{str(column)!r}]",
            column=str(column),
        )


def encode_protected(attribute: ProtectedAttribute, column: pd.Series) -> pd.Series:
    present = {value_text(v) for v in pd.unique(column.dropna().to_numpy(dtype=object))}
    for value in attribute.member_values():
        if value not in present:
            close = difflib.get_close_matches(value, sorted(present), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            shown = ", ".join(repr(v) for v in sorted(present)[:20])
            raise UnknownValueError(
                f"protected attribute {attribute.column!r}: value {value!r} does not occur in "
                f"the column{hint} (values: {shown})",
                column=attribute.column,
            )
    try:
        groups = attribute.encode(column)
    except GroupingError as exc:
        raise ProtectedAttributeError(str(exc), column=attribute.column) from exc
    counts = groups.value_counts()
    if len(counts) < 2:
        only = counts.index[0] if len(counts) else "(none)"
        raise ConstantProtectedError(
            f"protected attribute {attribute.column!r} puts every row in the single group "
            f"{only!r}; choose other groups (e.g. '{attribute.column}:all') or another column",
            column=attribute.column,
        )
    return groups


def split_rows(
    n: int, y: np.ndarray, strata: pd.Series, test_size: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return train and test row positions, stratified as finely as the counts allow.

    Stratified by label and ``strata`` (the first protected attribute's groups) when
    every combination has two rows, else by label alone, else not at all.
    """
    positions = np.arange(n)
    combined = pd.Series(y.astype(str), index=strata.index) + "|" + strata.astype(str)
    n_test = int(np.ceil(test_size * n))
    for labels in (combined.to_numpy(), y):
        counts = pd.Series(labels).value_counts()
        if counts.min() >= 2 and len(counts) <= min(n_test, n - n_test):
            train, test = train_test_split(
                positions, test_size=test_size, random_state=random_state, stratify=labels
            )
            return np.sort(train), np.sort(test)
    logger.info("test split is not stratified: too few rows per class")
    train, test = train_test_split(positions, test_size=test_size, random_state=random_state)
    return np.sort(train), np.sort(test)


def build_dataset(
    frame: pd.DataFrame,
    test_frame: pd.DataFrame | None,
    *,
    name: str,
    target: str | None,
    positive: str | None,
    protected: Sequence[str | ProtectedAttribute],
    defaults: Mapping[str, ProtectedAttribute] | None = None,
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    drop_protected: bool = False,
    test_size: float | None = None,
    random_state: int = 0,
    description: str = "",
    target_rule: TargetRule | str | None = None,
    exclude_flagged: bool = False,
) -> Dataset:
    """Validate a raw frame (and optional test frame) and build a :class:`Dataset`.

    Rows with a missing target are removed (with a warning). Without a test
    frame, a held-out part of ``test_size`` (None means 0.25, 0 means none)
    is split off, stratified by label and the first protected attribute's groups.
    ``target_rule`` binarises the target column (the positive class is where the
    rule holds; ``positive`` must then be None). With ``exclude_flagged``, columns
    flagged as identifiers or as leaking the label are left out of the features,
    except those in ``keep``.
    """
    columns = [str(c) for c in frame.columns]
    rule = TargetRule.coerce(target_rule)
    if rule is not None:
        if target is not None and target != rule.column:
            raise TargetRuleError(
                f"target rule {rule.text!r} is about column {rule.column!r}, but the target "
                f"is {target!r}",
                column=rule.column,
            )
        target = rule.column
        if positive is not None:
            raise InvalidOptionError(
                f"the target rule {rule.text!r} defines the positive class (the rows where it "
                f"holds); leave the positive class unset (got {positive!r})",
                column=target,
            )
    if target is None:
        raise InvalidOptionError(f"name the target column of {name!r}: the column to predict")
    attributes = resolve_protected(protected, defaults)
    if not attributes:
        raise ProtectedAttributeError(
            "name at least one protected attribute (e.g. protected=['sex'])"
        )
    if target not in columns:
        raise missing_column_error(target, "target", columns)
    for attribute in attributes:
        if attribute.column not in columns:
            raise missing_column_error(attribute.column, "protected", columns)
        if attribute.column == target:
            raise ProtectedAttributeError(
                f"column {target!r} is the target; it cannot also be protected", column=target
            )
    for column in drop:
        if column not in columns:
            raise missing_column_error(column, "drop", columns)
        if column == target:
            raise InvalidOptionError(f"cannot drop the target column {target!r}", column=target)
    for column in keep:
        if column not in columns:
            raise missing_column_error(column, "keep", columns)
        if column == target or column in drop:
            role = "the target" if column == target else "also dropped"
            raise InvalidOptionError(f"cannot keep column {column!r}: it is {role}", column=column)
    if test_size is not None and not 0 <= test_size < 1:
        raise InvalidOptionError(f"test_size must be in [0, 1), got {test_size!r}")

    warnings: list[str] = []
    parts = [frame] if test_frame is None else [frame, test_frame]
    n_train_raw = len(frame)
    full = (
        pd.concat(parts, ignore_index=True)
        if test_frame is not None
        else frame.reset_index(drop=True)
    )
    if len(full) < MIN_ROWS:
        raise TooFewRowsError(f"the data has {len(full)} rows; at least {MIN_ROWS} are needed")
    has_target = full[target].notna().to_numpy()
    if int(has_target.sum()) < MIN_ROWS:
        _check_missing(full[[target]], target)
        raise TooFewRowsError(
            f"the data has {int(has_target.sum())} rows with a value in target column "
            f"{target!r}; at least {MIN_ROWS} are needed"
        )
    if not has_target.all():
        message = f"{int((~has_target).sum())} rows with a missing target {target!r} were removed"
        warnings.append(message)
        logger.warning(message)
    in_test = np.arange(len(full)) >= n_train_raw
    full_labelled = full.loc[has_target].reset_index(drop=True)

    rule_description: dict[str, Any] | None = None
    if rule is not None:
        resolved = rule.apply(full_labelled[target])
        y_all = resolved.positive.astype(np.int64)
        positive, negative = resolved.positive_label, resolved.negative_label
        rule_description = resolved.describe()
    else:
        text = target_text(full_labelled[target])
        positive, negative = check_target(text, target, positive)
        y_all = (text == positive).to_numpy().astype(np.int64)

    protected_columns = {a.column for a in attributes}
    excluded: dict[str, str] = {}
    if exclude_flagged:
        candidates = full_labelled.drop(columns=[target, *drop])
        flags = column_flags(candidates)
        skip = protected_columns | {c for c, f in flags.items() if "identifier" in f}
        for column in leakage_columns(candidates, y_all, skip=skip):
            flags[column].append("leakage")
        flagged = {
            c: why for c, why in excluded_columns(flags).items() if c not in protected_columns
        }
        excluded = {c: why for c, why in flagged.items() if c not in keep}
        for column in keep:
            if column in flagged:
                warnings.append(
                    f"column {column!r} is flagged as {flagged[column]} "
                    f"({_FLAG_REASONS[flagged[column].split(' and ')[0]]}); it is kept as a "
                    "feature as asked"
                )
        for column, why in excluded.items():
            message = (
                f"column {column!r} is left out of the features: flagged as {why} "
                f"({_FLAG_REASONS[why.split(' and ')[0]]}); keep it to use it"
            )
            warnings.append(message)
            logger.info(message)
    _check_missing(full.drop(columns=[*drop, *excluded]), target)
    full = full_labelled
    in_test = in_test[has_target]
    sensitive_all = pd.DataFrame(
        {a.column: encode_protected(a, full[a.column]) for a in attributes}, index=full.index
    )

    removed = {target, *drop, *excluded}
    if drop_protected:
        removed.update(a.column for a in attributes)
    X_all = full.drop(columns=[c for c in full.columns if str(c) in removed])
    X_all.columns = [str(c) for c in X_all.columns]
    if X_all.shape[1] == 0:
        raise NoFeaturesError(
            "no feature column is left once the target, drops and flagged columns are removed"
            + (f" (flagged: {', '.join(excluded)}; keep one to use it)" if excluded else "")
        )
    categorical, numeric = split_kinds(X_all)
    for column in categorical:
        X_all[column] = as_categorical(X_all[column])

    if test_frame is not None:
        train_pos, test_pos = np.flatnonzero(~in_test), np.flatnonzero(in_test)
    elif test_size == 0:
        train_pos, test_pos = np.arange(len(full)), np.array([], dtype=np.int64)
    else:
        size = DEFAULT_TEST_SIZE if test_size is None else test_size
        train_pos, test_pos = split_rows(
            len(full), y_all, sensitive_all[attributes[0].column], size, random_state
        )

    def take(positions: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
        X = X_all.iloc[positions].reset_index(drop=True)
        sens = sensitive_all.iloc[positions].reset_index(drop=True)
        return X, y_all[positions], sens

    X, y, sensitive = take(train_pos)
    X_test = y_test = sensitive_test = None
    if len(test_pos):
        X_test, y_test, sensitive_test = take(test_pos)
    for label, value in ((1, positive), (0, negative)):
        count = int((y == label).sum())
        if count < MIN_CLASS_ROWS:
            raise TooFewRowsError(
                f"the training part holds {count} rows of class {value!r} of target {target!r}; "
                f"at least {MIN_CLASS_ROWS} are needed for a model that is not trivial",
                column=target,
            )

    kept = [c for c in keep if c in X.columns]
    checked = [c for c in X.columns if c not in kept]
    warnings.extend(
        leakage_warnings(
            X[checked],
            y,
            [c for c in categorical if c in checked],
            [c for c in numeric if c in checked],
        )
    )
    logger.info(
        "loaded %s: %d train rows, %d test rows, %d features",
        name,
        len(X),
        0 if X_test is None else len(X_test),
        X.shape[1],
    )
    return Dataset(
        name=name,
        target=target,
        positive=positive,
        negative=negative,
        protected=attributes,
        X=X,
        y=y,
        sensitive=sensitive,
        X_test=X_test,
        y_test=y_test,
        sensitive_test=sensitive_test,
        categorical=categorical,
        numeric=numeric,
        warnings=warnings,
        description=description,
        target_rule=rule_description,
        excluded=excluded,
        kept=kept,
    )


_FLAG_REASONS = {
    "identifier": "unique per row, or a row index",
    "leakage": "alone it predicts the target almost perfectly",
    "mostly_missing": "more than half of its values are missing",
}
