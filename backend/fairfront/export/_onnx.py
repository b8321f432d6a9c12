"""Export a run's model as one ONNX graph (raw columns in, label and probabilities out).

The graph is the run's own fitted pipeline, converted by skl2onnx in one call: the
preprocessor (imputation and one-hot encoding, see
:func:`fairfront.datasets.prepare_for_onnx`) followed by the boosting ensemble
truncated at the chosen round (see :mod:`fairfront.export._converters`).

Inputs, one per raw feature column, each of shape [N, 1]:

* categorical columns: ``tensor(string)``; pass a missing value as ``""`` (the Python
  pipeline's NaN/None): it becomes the category ``"missing"``, as in Python. A value
  not seen in training encodes as no category at all (all one-hot columns 0), as in
  Python;
* numeric columns: ``tensor(float)``; pass a missing value as NaN: it becomes the
  training median, as in Python. Values are compared as float32, as the trees do.

Input names are the column names with every character outside ``[A-Za-z0-9_]``
replaced by ``_`` (``marital-status`` -> ``marital_status``); the card lists them.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import math
import platform
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from .. import __version__
from ..datasets import DatasetError, prepare_for_onnx
from ..groups import value_text
from ..learners import FairBoostingClassifier, FairGBMClassifier
from ..metrics import NOTIONS, MissingGroupError, evaluate
from ..runs import RunSpec, load_model, read_front, read_run, run_data, setting_label
from ._card import front_summary, point_for_round

__all__ = [
    "MISSING_CATEGORICAL",
    "OUTPUT_NAMES",
    "TARGET_OPSET",
    "ExportError",
    "column_kinds",
    "input_name",
    "input_schema",
    "rename_inputs",
    "onnx_feed",
    "export_model",
]

MISSING_CATEGORICAL = ""
"""What an ONNX caller passes for a missing categorical value (Python: NaN or None)."""

log = logging.getLogger(__name__)

OUTPUT_NAMES = ("label", "probabilities")
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
"""Opsets of the exported graph (opset 17: onnxruntime 1.13 or later)."""

STRING_TYPE, FLOAT_TYPE = "tensor(string)", "tensor(float)"
PARITY_LABEL_AGREEMENT = 1.0
PARITY_PROBABILITY_TOLERANCE = 1e-5
_RESERVED = {*OUTPUT_NAMES}


class ExportError(ValueError):
    """The model cannot be exported as asked (bad round, missing extras, unwritable path)."""


def input_name(column: str, taken: Sequence[str] = ()) -> str:
    """The ONNX input name of a raw column: ``[A-Za-z0-9_]`` only, unique among ``taken``."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", column)
    if not name or name[0].isdigit():
        name = f"c_{name}"
    if name in _RESERVED:
        name = f"{name}_input"
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}_{k}", k + 1
    return candidate


# ----- the pipeline's structure -------------------------------------------------


def column_kinds(preprocess: ColumnTransformer) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Raw columns in input order and, for each, its kind, categories or median."""
    columns = [str(c) for c in getattr(preprocess, "feature_names_in_", [])]
    if not columns:
        raise ExportError("the preprocessor was fitted without column names; cannot name inputs")
    kinds: dict[str, dict[str, Any]] = {}
    for name, transformer, selected in preprocess.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        names = [str(c) for c in selected]
        if name == "cat" and isinstance(transformer, Pipeline):
            impute = transformer.named_steps.get("impute")
            onehot = transformer.named_steps.get("onehot")
            if not isinstance(impute, SimpleImputer) or not isinstance(onehot, OneHotEncoder):
                raise ExportError("unexpected categorical preprocessing: impute + onehot expected")
            for j, column in enumerate(names):
                kinds[column] = {
                    "kind": "categorical",
                    "categories": [str(v) for v in onehot.categories_[j]],
                    "fill": str(impute.fill_value),
                }
        elif name == "num" and isinstance(transformer, SimpleImputer):
            for j, column in enumerate(names):
                kinds[column] = {"kind": "numeric", "median": float(transformer.statistics_[j])}
        else:
            raise ExportError(f"unexpected preprocessing step {name!r}: {transformer!r}")
    unused = [c for c in columns if c not in kinds]
    if unused:
        raise ExportError(f"columns {unused!r} are not used by the preprocessor")
    return columns, kinds


def input_schema(
    columns: Sequence[str], kinds: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    schema: list[dict[str, Any]] = []
    taken: list[str] = []
    for column in columns:
        name = input_name(column, taken)
        taken.append(name)
        info = kinds[column]
        if info["kind"] == "categorical":
            schema.append(
                {
                    "name": name,
                    "column": column,
                    "type": STRING_TYPE,
                    "shape": [None, 1],
                    "kind": "categorical",
                    "categories": list(info["categories"]),
                    "missing": f'pass "" (empty string): it becomes the category {info["fill"]!r}',
                    "unseen": "a value not in categories encodes as no category (all zeros)",
                }
            )
        else:
            schema.append(
                {
                    "name": name,
                    "column": column,
                    "type": FLOAT_TYPE,
                    "shape": [None, 1],
                    "kind": "numeric",
                    "missing": f"pass NaN: it becomes the training median {info['median']!r}",
                    "median": info["median"],
                }
            )
    return schema


def onnx_feed(frame: pd.DataFrame, inputs: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """The onnxruntime input dict for raw rows, from the card's ``inputs`` schema.

    Categorical columns become [N, 1] string arrays with ``""`` for missing values
    (NaN/None); numeric columns [N, 1] float32 arrays with NaN for missing values.
    """
    feed: dict[str, np.ndarray] = {}
    for spec in inputs:
        column = spec["column"]
        if column not in frame.columns:
            raise ValueError(f"the rows have no column {column!r} (input {spec['name']!r})")
        values = frame[column]
        if spec["type"] == STRING_TYPE:
            raw = values.to_numpy(dtype=object)
            present = ~pd.isna(raw)
            texts = {v: value_text(v) for v in pd.unique(raw[present])}
            text = np.full(raw.shape[0], MISSING_CATEGORICAL, dtype=object)
            text[present] = pd.Series(raw[present], dtype=object).map(texts).to_numpy(object)
            feed[spec["name"]] = text.reshape(-1, 1)
        else:
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            feed[spec["name"]] = numbers.astype(np.float32).reshape(-1, 1)
    return feed


# ----- conversion ---------------------------------------------------------------


Learner = FairBoostingClassifier | FairGBMClassifier
"""The learners whose fitted pipelines export."""


def _need_extras(learner: Any = None) -> None:
    modules = ("onnx", "skl2onnx") + (
        ("onnxmltools",) if isinstance(learner, FairGBMClassifier) else ()
    )
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ExportError(
            f"ONNX export needs {', '.join(missing)}: install them with "
            "pip install 'fairfront[export]'"
        )


def _convert(
    preprocess: ColumnTransformer,
    learner: Learner,
    schema: Sequence[Mapping[str, Any]],
    metadata: Mapping[str, str],
) -> bytes:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    if isinstance(learner, FairGBMClassifier):
        from ._lightgbm import register_lightgbm_converter

        register_lightgbm_converter()
    else:
        from ._converters import register_converters

        register_converters()
    pipeline = Pipeline([("preprocess", prepare_for_onnx(preprocess)), ("learner", learner)])
    initial_types = []
    for spec in schema:
        kind = StringTensorType if spec["type"] == STRING_TYPE else FloatTensorType
        initial_types.append((spec["column"], kind([None, 1])))
    model = to_onnx(
        pipeline,
        initial_types=initial_types,
        final_types=[
            ("label", Int64TensorType([None])),
            ("probabilities", FloatTensorType([None, 2])),
        ],
        target_opset=dict(TARGET_OPSET),
        options={id(learner): {"zipmap": False}},
    )
    rename_inputs(model, [spec["name"] for spec in schema])
    outputs = [o.name for o in model.graph.output]
    if outputs != list(OUTPUT_NAMES):
        raise ExportError(f"the converted graph has outputs {outputs}, expected {OUTPUT_NAMES}")
    model.producer_name = "fairfront"
    model.producer_version = __version__
    model.doc_string = metadata.get("description", "")
    del model.metadata_props[:]
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    import onnx

    onnx.checker.check_model(model)
    data: bytes = model.SerializeToString()
    return data


def rename_inputs(model: Any, names: Sequence[str]) -> None:
    """Give the graph's inputs (in column order) the card's names."""
    graph = model.graph
    if len(graph.input) != len(names):
        raise ExportError(f"the graph has {len(graph.input)} inputs for {len(names)} columns")
    used = {i.name for i in graph.input} | {o.name for o in graph.output}
    used |= {t.name for t in graph.initializer} | {v.name for v in graph.value_info}
    for node in graph.node:
        used |= set(node.input) | set(node.output)
    for graph_input, new in zip(graph.input, names, strict=True):
        old = graph_input.name
        if old == new:
            continue
        if new in used:
            raise ExportError(f"input name {new!r} collides with a name inside the graph")
        for node in graph.node:
            for k, name in enumerate(node.input):
                if name == old:
                    node.input[k] = new
        graph_input.name = new
        used.add(new)


# ----- the card -----------------------------------------------------------------


def _versions() -> dict[str, str]:
    versions = {"fairfront": __version__, "python": platform.python_version()}
    for module, label in (
        ("sklearn", "scikit-learn"),
        ("numpy", "numpy"),
        ("pandas", "pandas"),
        ("onnx", "onnx"),
        ("skl2onnx", "skl2onnx"),
        ("onnxruntime", "onnxruntime"),
        ("google.protobuf", "protobuf"),
    ):
        try:
            versions[label] = str(importlib.import_module(module).__version__)
        except ImportError:
            versions[label] = "not installed"
    return versions


def _labels(run: Mapping[str, Any], learner: Learner) -> dict[str, Any]:
    dataset = run.get("dataset", {})
    positive, negative = dataset.get("positive"), dataset.get("negative")
    raw = [v.item() if isinstance(v, np.generic) else v for v in learner.classes_]
    names = [negative, positive] if positive is not None else [str(v) for v in raw]
    return {
        "column": dataset.get("target"),
        "positive": positive,
        "negative": negative,
        "classes": names,
        "learner_classes": raw,
        "label_values": {"0": names[0], "1": names[1]},
        "binarised_by": dataset.get("target_rule"),
        "rule": (
            "label = 1 (positive) when probabilities[:, 1] > 0.5, i.e. when the trees' "
            "summed raw score is > 0"
            if isinstance(learner, FairGBMClassifier)
            else "label = 1 (positive) when probabilities[:, 1] > 0.5, i.e. when the "
            "weighted vote is > 0; an exact tie (0.5) is label 0"
        ),
    }


def _learner_card(learner: Learner, chosen: int) -> dict[str, Any]:
    if isinstance(learner, FairGBMClassifier):
        return {
            "weak_learner": "LightGBM tree (onnxmltools' converter)",
            "rounds_exported": chosen,
            "training_bounds": dict(learner.training_bounds_),
        }
    return {
        "weak_learner": type(learner.estimators_[0]).__name__,
        "rounds_exported": chosen,
        "alpha_sum": float(np.asarray(learner.estimator_weights_)[:chosen].sum()),
    }


def _test_by_group(
    run: Mapping[str, Any],
    model: Pipeline,
    learner: Learner,
    point: Mapping[str, Any],
) -> tuple[dict[str, Any], pd.DataFrame | None, Any]:
    """The engine's full report on the test split at this round, and the test rows."""
    try:
        data = run_data(RunSpec.from_dict(run["spec"]))
    except (DatasetError, KeyError, TypeError, ValueError) as error:
        reason = f"the run's data could not be loaded: {error}"
        return {"available": False, "reason": reason}, None, None
    if data.X_test is None or data.y_test is None:
        return {"available": False, "reason": "the run has no test split"}, None, None
    pipeline = Pipeline([("preprocess", model.named_steps["preprocess"]), ("learner", learner)])
    predicted = (pipeline.predict(data.X_test) == learner.classes_[1]).astype(np.int64)
    try:
        report = evaluate(
            data.y_test,
            predicted,
            sensitive_features=data.sensitive_test,
            notions=list(NOTIONS),
        )
    except MissingGroupError as error:  # pragma: no cover - groups come from the data
        return {"available": False, "reason": str(error)}, None, None
    document: dict[str, Any] = {"available": True, "split": "test", **report.to_dict()}
    recorded = (point.get("test") or {}).get("balanced_accuracy")
    recomputed = report.block()["balanced_accuracy"]
    document["matches_front_json"] = (
        recorded is not None
        and recomputed is not None
        and math.isclose(recorded, recomputed, abs_tol=1e-12)
    )
    return document, data.X_test, pipeline


def _parity(
    onnx_bytes: bytes, schema: Any, rows: pd.DataFrame, pipeline: Pipeline
) -> dict[str, Any]:
    """onnxruntime against the Python pipeline on the test rows."""
    try:
        import onnxruntime
    except ImportError:
        return {"checked": False, "reason": "onnxruntime is not installed"}
    session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    label, probabilities = session.run(list(OUTPUT_NAMES), onnx_feed(rows, schema))
    learner = pipeline.named_steps["learner"]
    expected_label = (pipeline.predict(rows) == learner.classes_[1]).astype(np.int64)
    expected = pipeline.predict_proba(rows)
    agreement = float(np.mean(label == expected_label))
    difference = float(np.max(np.abs(probabilities.astype(np.float64) - expected)))
    return {
        "checked": True,
        "rows": int(rows.shape[0]),
        "split": "test",
        "label_agreement": agreement,
        "max_abs_probability_difference": difference,
        "passed": agreement >= PARITY_LABEL_AGREEMENT
        and difference <= PARITY_PROBABILITY_TOLERANCE,
    }


def _public_spec(run: Mapping[str, Any]) -> dict[str, Any]:
    """The run's spec as a card shows it: an uploaded file by its name, never its path."""
    spec = dict(run.get("spec") or {})
    data = spec.get("data")
    if isinstance(data, str) and ("/" in data or "\\" in data):
        spec["data"] = run.get("dataset", {}).get("name") or Path(data).name
    return spec


def _check_round(round: Any, n_rounds: int, run_dir: Path) -> int:
    if isinstance(round, bool) or not isinstance(round, int | np.integer):
        raise ExportError(f"round must be a whole number, got {round!r}")
    if not 1 <= int(round) <= n_rounds:
        raise ExportError(
            f"round {int(round)} does not exist: the run {run_dir.name!r} has rounds 1 to "
            f"{n_rounds}"
        )
    return int(round)


def export_model(run_dir: str | Path, round: int | None = None) -> tuple[bytes, dict[str, Any]]:
    """The run's model at ``round`` (default: its selected round) as ONNX bytes, and its card.

    Raises :class:`~fairfront.runs.RunDirectoryError` when ``run_dir`` holds no
    intact run and :class:`ExportError` for a round that does not exist (the message
    names the valid range) or missing export extras. Writes nothing.
    """
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    front = read_front(run_dir).model_dump(mode="json")
    _need_extras()
    n_rounds = len(front["points"])
    selected = int((front.get("selection") or {}).get("round", 0)) or int(
        load_model(run_dir).named_steps["learner"].selected_round_
    )
    chosen = selected if round is None else _check_round(round, n_rounds, run_dir)
    # the point's own pipeline (a sweep keeps one per setting), truncated at the point
    model = load_model(run_dir, round=chosen)
    truncated = model.named_steps.get("learner")
    preprocess = model.named_steps.get("preprocess")
    if not isinstance(truncated, FairBoostingClassifier | FairGBMClassifier) or not isinstance(
        preprocess, ColumnTransformer
    ):
        raise ExportError("the run's model is not a preprocessor + fair boosting pipeline")
    _need_extras(truncated)
    learner = truncated
    point = point_for_round(front, chosen)
    trees = int(truncated.selected_round_)  # the point's round within its own fit
    setting = point.get("setting")

    columns, kinds = column_kinds(preprocess)
    schema = input_schema(columns, kinds)
    labels = _labels(run, learner)
    metadata = {
        "description": (
            f"fairfront {run.get('learner', {}).get('class', type(learner).__name__)} on "
            f"{run.get('dataset', {}).get('name')}, round {chosen} of {n_rounds}"
            + (f" ({setting_label(setting)}, its round {trees})" if setting else "")
            + ": raw columns in, label (1 = positive class) and probabilities out; see the "
            "model card"
        ),
        "fairfront.round": str(chosen),
        "fairfront.selected_round": str(selected),
        "fairfront.target": str(labels["column"]),
        "fairfront.classes": ",".join(str(c) for c in labels["classes"]),
        "fairfront.positive": str(labels["positive"]),
        "fairfront.run_model_sha256": str(run.get("model_sha256")),
    }
    binarised = labels.get("binarised_by")
    if binarised:
        metadata["fairfront.target_rule"] = str(binarised.get("text"))
        metadata["description"] += (
            f". The label is binarised from column {binarised.get('column')!r}: "
            f"{binarised.get('meaning')}"
        )
    try:
        onnx_bytes = _convert(preprocess, truncated, schema, metadata)
    except ImportError as error:  # pragma: no cover - checked by _need_extras
        raise ExportError(f"ONNX export needs the export extras: {error}") from error

    if setting:
        metadata["fairfront.setting"] = json.dumps(setting)
    by_group, test_rows, pipeline = _test_by_group(run, model, truncated, point)
    parity = (
        _parity(onnx_bytes, schema, test_rows, pipeline)
        if test_rows is not None and pipeline is not None
        else {"checked": False, "reason": by_group.get("reason", "no test rows")}
    )
    if parity.get("checked") and not parity.get("passed"):
        log.warning(
            "onnxruntime and the Python pipeline differ on the test split: label agreement "
            "%.6f, max |probability difference| %.3g",
            parity["label_agreement"],
            parity["max_abs_probability_difference"],
        )
    selection = dict(front.get("selection", {}))
    is_selected = chosen == selected
    card: dict[str, Any] = {
        "format": "fairfront.model-card/1",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            "format": "ONNX",
            "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
            "bytes": len(onnx_bytes),
            "opsets": dict(TARGET_OPSET),
            "trees": trees,
            "outputs": [
                {
                    "name": "label",
                    "type": "tensor(int64)",
                    "shape": [None],
                    "meaning": f"index into classes: 1 = {labels['positive']!r} (positive), "
                    f"0 = {labels['negative']!r}",
                },
                {
                    "name": "probabilities",
                    "type": "tensor(float)",
                    "shape": [None, 2],
                    "meaning": "columns in class order: [P(negative), P(positive)]",
                },
            ],
        },
        "inputs": schema,
        "input_names": {spec["column"]: spec["name"] for spec in schema},
        "missing_values": (
            'categorical: pass "" (empty string), which the Python pipeline receives as NaN '
            "or None; numeric: pass NaN. A categorical value never seen in training "
            '(including a literal "" given to the Python pipeline) encodes as no category.'
        ),
        "target": labels,
        "protected": run.get("dataset", {}).get("protected", []),
        "dataset": {
            "name": run.get("dataset", {}).get("name"),
            "rows": run.get("dataset", {}).get("rows"),
            "warnings": run.get("dataset", {}).get("warnings", []),
        },
        "learner": {
            **run.get("learner", {}),
            **_learner_card(learner, trees),
            **({"setting": setting} if setting else {}),
        },
        "selection": {
            "exported_round": chosen,
            "selected_round": selected,
            "is_selected_round": is_selected,
            "rule": selection.get("rule"),
            "reason": selection.get("reason"),
            "note": (
                f"round {chosen} is the run's selected round"
                if is_selected
                else f"round {chosen} was chosen by the caller, NOT the run's selected round "
                f"{selected} (chosen by the rule above)"
            ),
            "point": {k: point.get(k) for k in ("round", "on_front", "selected", "trivial")},
        },
        "metrics": {
            "notion_labels": {n: NOTIONS[n].label for n in NOTIONS},
            "conventions": {
                "eo": "Fairlearn's equalized odds: max(TPR gap, FPR gap)",
                "eo_sum": "disparate mistreatment: TPR gap + TNR gap (up to 2x eo)",
            },
            "validation": point.get("validation"),
            "test": point.get("test"),
            "test_by_group": by_group,
        },
        "front": front_summary(front),
        "parity": parity,
        "run": {
            "created": run.get("created"),
            "spec": _public_spec(run),
            "model_sha256": run.get("model_sha256"),
        },
        "versions": {"export": _versions(), "training": run.get("versions", {})},
    }
    return onnx_bytes, card
