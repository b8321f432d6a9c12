"""Built-in fairness datasets and user CSVs, loaded into one :class:`Dataset` shape.

Built-ins (``adult``, ``bank``, ``compas``, ``german``) are read from gzip'd
copies packaged under ``data/`` (see ``PROVENANCE.md``); user CSVs go through
the same checks. Loading errors are :class:`DatasetError` subclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fairfront.datasets._builtin import (
    builtin_info,
    default_protected,
    list_datasets,
    load_builtin,
)
from fairfront.datasets._csv import load_csv
from fairfront.datasets._dataset import DEFAULT_TEST_SIZE, MIN_ROWS, Dataset
from fairfront.datasets._multitask import (
    MULTITASK_VIEWS,
    MultiTaskDataset,
    SingleClassTaskError,
    load_multitask,
)
from fairfront.datasets._preprocess import make_preprocessor, prepare_for_onnx
from fairfront.datasets.errors import (
    ConstantProtectedError,
    CSVReadError,
    DatasetError,
    InvalidOptionError,
    MissingColumnError,
    MostlyMissingColumnError,
    NoFeaturesError,
    PositiveClassRequiredError,
    ProtectedAttributeError,
    TargetNotBinaryError,
    TooFewRowsError,
    UnknownDatasetError,
    UnknownPositiveClassError,
    UnknownValueError,
)
from fairfront.groups import ProtectedAttribute

__all__ = [
    "builtin_info",
    "DEFAULT_TEST_SIZE",
    "MIN_ROWS",
    "MULTITASK_VIEWS",
    "CSVReadError",
    "ConstantProtectedError",
    "Dataset",
    "DatasetError",
    "InvalidOptionError",
    "MissingColumnError",
    "MostlyMissingColumnError",
    "MultiTaskDataset",
    "NoFeaturesError",
    "PositiveClassRequiredError",
    "ProtectedAttribute",
    "ProtectedAttributeError",
    "SingleClassTaskError",
    "TargetNotBinaryError",
    "TooFewRowsError",
    "UnknownDatasetError",
    "UnknownPositiveClassError",
    "UnknownValueError",
    "default_protected",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "load_multitask",
    "make_preprocessor",
    "prepare_for_onnx",
]


def load_dataset(
    name_or_path: str | Path,
    *,
    target: str | None = None,
    positive: str | None = None,
    protected: Sequence[str | ProtectedAttribute] | None = None,
    drop: Sequence[str] = (),
    drop_protected: bool = False,
    test_size: float | None = None,
    random_state: int = 0,
) -> Dataset:
    """Load a built-in dataset by name, or a CSV file by path.

    ``protected=None`` means the built-in's defaults (a CSV needs them named);
    texts are parsed with :meth:`ProtectedAttribute.parse` against those
    defaults. ``test_size`` is the held-out share for data without a test file
    (None: 0.25; 0: no test part); Adult keeps its own test file and ignores it.
    """
    if isinstance(name_or_path, str) and name_or_path in list_datasets():
        return load_builtin(
            name_or_path,
            target=target,
            positive=positive,
            protected=protected,
            drop=drop,
            drop_protected=drop_protected,
            test_size=test_size,
            random_state=random_state,
        )
    path = Path(name_or_path)
    if not path.is_file():
        raise UnknownDatasetError(
            f"{str(name_or_path)!r} is neither a built-in dataset "
            f"({', '.join(list_datasets())}) nor an existing file"
        )
    if target is None:
        raise InvalidOptionError(f"name the target column of {path.name!r} (target=...)")
    return load_csv(
        path,
        target=target,
        positive=positive,
        protected=() if protected is None else protected,
        drop=drop,
        drop_protected=drop_protected,
        test_size=test_size,
        random_state=random_state,
    )
