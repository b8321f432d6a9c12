"""Multi-task views: several binary targets over the same rows and protected groups.

Built-in views:

* ``adult``: ``income`` (the ``Y`` column, positive ``>50K``) and ``married``
  (marital-status starts with "Married", positive ``1``); marital-status and
  relationship are left out of the features, since they give ``married`` away;
* ``compas``: ``two_year_recid`` and ``is_violent_recid`` (positive ``1``) on the rows
  and features of the single-task ``compas`` dataset (ProPublica's filter); race is
  African-American / other.

A user CSV names its target columns; a column is a task when it holds exactly two
values (0/1 and true/false need no positive class; otherwise ``positives`` names it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from fairfront.datasets._builtin import (
    COMPAS_FEATURES,
    default_protected,
    read_adult,
    read_packaged,
)
from fairfront.datasets._csv import dataset_name, read_csv_frame
from fairfront.datasets._dataset import (
    DEFAULT_TEST_SIZE,
    MIN_ROWS,
    check_target,
    encode_protected,
    missing_column_error,
    resolve_protected,
    split_rows,
)
from fairfront.datasets._preprocess import (
    as_categorical,
    leakage_warnings,
    make_preprocessor,
    split_kinds,
)
from fairfront.datasets.errors import (
    DatasetError,
    InvalidOptionError,
    NoFeaturesError,
    PositiveClassRequiredError,
    ProtectedAttributeError,
    TooFewRowsError,
    UnknownDatasetError,
)
from fairfront.groups import ProtectedAttribute

__all__ = [
    "MULTITASK_VIEWS",
    "MultiTaskDataset",
    "SingleClassTaskError",
    "load_multitask",
]

logger = logging.getLogger(__name__)


class SingleClassTaskError(DatasetError):
    """A task has a single class in the training part."""


@dataclass
class MultiTaskDataset:
    """Rows with T binary targets. ``Y`` is int64 n x T with 1 for each task's positive."""

    name: str
    tasks: list[str]
    positives: dict[str, str]
    protected: list[ProtectedAttribute]
    X: pd.DataFrame
    Y: np.ndarray
    sensitive: pd.DataFrame
    X_test: pd.DataFrame | None = None
    Y_test: np.ndarray | None = None
    sensitive_test: pd.DataFrame | None = None
    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    description: str = ""

    def preprocessor(self) -> ColumnTransformer:
        """A fresh, unfitted preprocessor for this dataset's features."""
        return make_preprocessor(self.categorical, self.numeric)

    @property
    def has_test(self) -> bool:
        return self.X_test is not None

    def task_frame(self, Y: np.ndarray) -> pd.DataFrame:
        """``Y`` (this dataset's or its test part's) as a frame with the task names."""
        return pd.DataFrame(Y, columns=self.tasks)


def _compas_frame() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    # Same rows as the single-task ``compas`` (ProPublica's filter, in _builtin._compas).
    raw = read_packaged("compas.csv.gz")
    days = raw["days_b_screening_arrest"]
    keep = (
        days.between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & raw["score_text"].notna()
        & (raw["score_text"] != "N/A")
    )
    columns = [*COMPAS_FEATURES, "two_year_recid", "is_violent_recid"]
    return raw.loc[keep, columns].reset_index(drop=True), None


def _adult_frame() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    parts = []
    for frame in read_adult():
        assert frame is not None  # noqa: S101 - adult has both files
        married = frame["marital-status"].astype(str).str.startswith("Married")
        frame = frame.drop(columns=["marital-status", "relationship"])
        frame = frame.rename(columns={"Y": "income"})
        frame["married"] = np.where(married, "1", "0")
        parts.append(frame)
    return parts[0], parts[1]


@dataclass(frozen=True)
class _View:
    read: Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]]
    tasks: tuple[str, ...]
    positives: Mapping[str, str]
    description: str


MULTITASK_VIEWS: dict[str, _View] = {
    "adult": _View(
        read=_adult_frame,
        tasks=("income", "married"),
        positives={"income": ">50K", "married": "1"},
        description=(
            "UCI Adult, two tasks: income >50K and married (marital-status starting with "
            "'Married'); marital-status and relationship are not features of this view."
        ),
    ),
    "compas": _View(
        read=_compas_frame,
        tasks=("two_year_recid", "is_violent_recid"),
        positives={"two_year_recid": "1", "is_violent_recid": "1"},
        description=(
            "ProPublica COMPAS, two tasks: two-year recidivism and violent recidivism, on "
            "the rows and features of the single-task compas dataset."
        ),
    ),
}


def _default_positive(values: list[str]) -> str | None:
    lowered = {v.lower(): v for v in values}
    for positive, negative in (("1", "0"), ("1.0", "0.0"), ("true", "false"), ("yes", "no")):
        if set(lowered) == {positive, negative}:
            return lowered[positive]
    return None


def build_multitask(
    frame: pd.DataFrame,
    test_frame: pd.DataFrame | None,
    *,
    name: str,
    tasks: Sequence[str],
    positives: Mapping[str, str] | None,
    protected: Sequence[str | ProtectedAttribute],
    defaults: Mapping[str, ProtectedAttribute] | None = None,
    drop: Sequence[str] = (),
    test_size: float | None = None,
    random_state: int = 0,
    description: str = "",
) -> MultiTaskDataset:
    """Validate a frame with several target columns and build a :class:`MultiTaskDataset`."""
    columns = [str(c) for c in frame.columns]
    tasks = [t.strip() for t in tasks]
    if not tasks:
        raise InvalidOptionError("name at least one task (target column)")
    if len(set(tasks)) != len(tasks):
        raise InvalidOptionError(f"tasks are repeated: {tasks!r}")
    attributes = resolve_protected(protected, defaults)
    if not attributes:
        raise ProtectedAttributeError(
            "name at least one protected attribute (e.g. protected=['sex'])"
        )
    for task in tasks:
        if task not in columns:
            raise missing_column_error(task, "target", columns)
    for attribute in attributes:
        if attribute.column not in columns:
            raise missing_column_error(attribute.column, "protected", columns)
        if attribute.column in tasks:
            raise ProtectedAttributeError(
                f"column {attribute.column!r} is a task; it cannot also be protected",
                column=attribute.column,
            )
    for column in drop:
        if column not in columns:
            raise missing_column_error(column, "drop", columns)
    if test_size is not None and not 0 < test_size < 1 and test_frame is None:
        raise InvalidOptionError(
            f"test_size must be in (0, 1) for multi-task data, got {test_size!r}"
        )

    n_train_raw = len(frame)
    full = (
        pd.concat([frame, test_frame], ignore_index=True)
        if test_frame is not None
        else frame.reset_index(drop=True)
    )
    has_targets = full[tasks].notna().all(axis=1).to_numpy()
    warnings: list[str] = []
    if not has_targets.all():
        message = f"{int((~has_targets).sum())} rows with a missing task label were removed"
        warnings.append(message)
        logger.warning(message)
    in_test = (np.arange(len(full)) >= n_train_raw)[has_targets]
    full = full.loc[has_targets].reset_index(drop=True)
    if len(full) < MIN_ROWS:
        raise TooFewRowsError(
            f"the data has {len(full)} rows with every task labelled; at least {MIN_ROWS} "
            "are needed"
        )

    chosen: dict[str, str] = {}
    Y_all = np.empty((len(full), len(tasks)), dtype=np.int64)
    for k, task in enumerate(tasks):
        text = as_categorical(full[task])
        given = (positives or {}).get(task)
        if given is None:
            values = sorted(str(v) for v in text.dropna().unique())
            given = _default_positive(values) if len(values) == 2 else None
            if given is None and len(values) == 2:
                raise PositiveClassRequiredError(
                    f"say which value of task column {task!r} is the positive class: "
                    f"{values[0]!r} or {values[1]!r}",
                    column=task,
                )
        positive, _ = check_target(text, task, given or "1")
        chosen[task] = positive
        Y_all[:, k] = (text == positive).to_numpy()
    sensitive_all = pd.DataFrame(
        {a.column: encode_protected(a, full[a.column]) for a in attributes}, index=full.index
    )
    X_all = full.drop(columns=[c for c in full.columns if str(c) in {*tasks, *drop}])
    X_all.columns = [str(c) for c in X_all.columns]
    if X_all.shape[1] == 0:
        raise NoFeaturesError("no feature column is left once the tasks and drops are removed")
    categorical, numeric = split_kinds(X_all)
    for column in categorical:
        X_all[column] = as_categorical(X_all[column])

    if test_frame is not None:
        train_pos, test_pos = np.flatnonzero(~in_test), np.flatnonzero(in_test)
    else:
        size = DEFAULT_TEST_SIZE if test_size is None else test_size
        labels = Y_all @ (2 ** np.arange(len(tasks)))
        train_pos, test_pos = split_rows(
            len(full), labels, sensitive_all[attributes[0].column], size, random_state
        )

    def take(rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
        return (
            X_all.iloc[rows].reset_index(drop=True),
            Y_all[rows],
            sensitive_all.iloc[rows].reset_index(drop=True),
        )

    X, Y, sensitive = take(train_pos)
    for k, task in enumerate(tasks):
        if np.unique(Y[:, k]).size < 2:
            only = f"{chosen[task]!r}" if Y[0, k] else f"not {chosen[task]!r}"
            raise SingleClassTaskError(
                f"task {task!r} has a single class ({only}) in the training part; it needs "
                "rows of both classes",
                column=task,
            )
        leaks = leakage_warnings(X, Y[:, k], categorical, numeric)
        warnings.extend(f"task {task!r}: {w}" for w in leaks)
    X_test = Y_test = sensitive_test = None
    if len(test_pos):
        X_test, Y_test, sensitive_test = take(test_pos)
    return MultiTaskDataset(
        name=name,
        tasks=tasks,
        positives=chosen,
        protected=attributes,
        X=X,
        Y=Y,
        sensitive=sensitive,
        X_test=X_test,
        Y_test=Y_test,
        sensitive_test=sensitive_test,
        categorical=categorical,
        numeric=numeric,
        warnings=warnings,
        description=description,
    )


def load_multitask(
    name_or_path: str | Path,
    *,
    tasks: Sequence[str] | None = None,
    positives: Mapping[str, str] | None = None,
    protected: Sequence[str | ProtectedAttribute] | None = None,
    drop: Sequence[str] = (),
    test_size: float | None = None,
    random_state: int = 0,
) -> MultiTaskDataset:
    """A built-in multi-task view (``adult``, ``compas``) or a CSV with several targets.

    ``tasks=None`` takes a view's tasks; a view accepts any of its own tasks, in any
    order. A CSV needs ``tasks`` and ``protected`` named. Errors are
    :class:`DatasetError` subclasses naming the column.
    """
    if isinstance(name_or_path, str) and name_or_path in MULTITASK_VIEWS:
        view = MULTITASK_VIEWS[name_or_path]
        chosen = list(view.tasks) if tasks is None else list(tasks)
        unknown = [t for t in chosen if t not in view.tasks]
        if unknown:
            raise InvalidOptionError(
                f"the multi-task view of {name_or_path!r} has tasks {', '.join(view.tasks)}; "
                f"not {', '.join(map(repr, unknown))}",
                column=unknown[0],
            )
        defaults = default_protected(name_or_path)
        frame, test = view.read()
        others = [t for t in view.tasks if t not in chosen]
        return build_multitask(
            frame.drop(columns=others),
            None if test is None else test.drop(columns=others),
            name=name_or_path,
            tasks=chosen,
            positives={**view.positives, **(positives or {})},
            protected=list(defaults.values()) if protected is None else protected,
            defaults=defaults,
            drop=drop,
            test_size=test_size,
            random_state=random_state,
            description=view.description,
        )
    path = Path(name_or_path)
    if not path.is_file():
        raise UnknownDatasetError(
            f"{str(name_or_path)!r} is neither a multi-task view "
            f"({', '.join(MULTITASK_VIEWS)}) nor an existing file"
        )
    if not tasks:
        raise InvalidOptionError(f"name the task columns of {path.name!r} (tasks=[...])")
    return build_multitask(
        read_csv_frame(path),
        None,
        name=dataset_name(path),
        tasks=tasks,
        positives=positives,
        protected=() if protected is None else protected,
        drop=[c.strip() for c in drop],
        test_size=test_size,
        random_state=random_state,
        description=f"CSV file {path.name}",
    )
