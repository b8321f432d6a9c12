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
from fairfront.datasets._csv import CSVFormat, dataset_name, load_csv, read_csv
from fairfront.datasets._dataset import (
    DEFAULT_TEST_SIZE,
    MIN_CLASS_ROWS,
    MIN_ROWS,
    Dataset,
    build_dataset,
)
from fairfront.datasets._multitask import (
    MULTITASK_VIEWS,
    MultiTaskDataset,
    SingleClassTaskError,
    load_multitask,
)
from fairfront.datasets._preprocess import make_preprocessor, prepare_for_onnx
from fairfront.datasets._profile import (
    DatasetProfile,
    column_profiles,
    group_floor,
    profile_csv,
    profile_frame,
)
from fairfront.datasets._target import TargetRule, infer_positive, label_text
from fairfront.datasets.errors import (
    ConstantProtectedError,
    CSVLimitError,
    CSVReadError,
    DatasetError,
    InvalidOptionError,
    MissingColumnError,
    MostlyMissingColumnError,
    NoFeaturesError,
    PositiveClassRequiredError,
    ProtectedAttributeError,
    TargetNotBinaryError,
    TargetRuleError,
    TooFewRowsError,
    UnknownDatasetError,
    UnknownPositiveClassError,
    UnknownValueError,
)
from fairfront.groups import ProtectedAttribute

__all__ = [
    "builtin_info",
    "DEFAULT_TEST_SIZE",
    "MIN_CLASS_ROWS",
    "MIN_ROWS",
    "MULTITASK_VIEWS",
    "build_dataset",
    "CSVFormat",
    "CSVLimitError",
    "CSVReadError",
    "ConstantProtectedError",
    "Dataset",
    "DatasetProfile",
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
    "TargetRule",
    "TargetRuleError",
    "TooFewRowsError",
    "UnknownDatasetError",
    "UnknownPositiveClassError",
    "UnknownValueError",
    "column_profiles",
    "default_protected",
    "group_floor",
    "infer_positive",
    "label_text",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "load_multitask",
    "read_csv",
    "make_preprocessor",
    "prepare_for_onnx",
    "profile_csv",
    "profile_frame",
]


def load_dataset(
    name_or_path: str | Path,
    *,
    target: str | None = None,
    positive: str | None = None,
    protected: Sequence[str | ProtectedAttribute] | None = None,
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    drop_protected: bool = False,
    test_size: float | None = None,
    random_state: int = 0,
    target_rule: str | TargetRule | None = None,
) -> Dataset:
    """Load a built-in dataset by name, or a CSV file by path.

    ``protected=None`` means the built-in's defaults (a CSV needs them named);
    texts are parsed with :meth:`ProtectedAttribute.parse` against those
    defaults. ``test_size`` is the held-out share for data without a test file
    (None: 0.25; 0: no test part); Adult keeps its own test file and ignores it.
    ``target_rule`` (``"G3 >= 10"``, ``"score > median"``, ``"class == A"``; see
    :class:`TargetRule`) binarises a numeric or multi-class target: the positive
    class is the rows where it holds, and ``positive`` stays None. A CSV's columns
    flagged as identifiers or as leaking the label are left out of the features
    (``Dataset.excluded``) unless named in ``keep``.
    """
    if isinstance(name_or_path, str) and name_or_path in list_datasets():
        return load_builtin(
            name_or_path,
            target=target,
            positive=positive,
            protected=protected,
            drop=drop,
            keep=keep,
            drop_protected=drop_protected,
            test_size=test_size,
            random_state=random_state,
            target_rule=target_rule,
        )
    path = Path(name_or_path)
    if not path.is_file():
        shown = (
            str(name_or_path)
            if isinstance(name_or_path, str) and "/" not in str(name_or_path)
            else path.name
        )
        raise UnknownDatasetError(
            f"{shown!r} is neither a built-in dataset "
            f"({', '.join(list_datasets())}) nor an existing file"
        )
    rule = TargetRule.coerce(target_rule)
    if target is None and rule is None:
        raise InvalidOptionError(
            f"name the target column of {dataset_name(path)!r}: the column to predict"
        )
    return load_csv(
        path,
        target=target,
        positive=positive,
        protected=() if protected is None else protected,
        drop=drop,
        keep=keep,
        drop_protected=drop_protected,
        test_size=test_size,
        random_state=random_state,
        target_rule=rule,
    )
