"""Export a multi-task run's chosen checkpoint as ONE ONNX graph, preprocessing inside.

The fitted preprocessor is converted by skl2onnx (see
:func:`fairfront.datasets.prepare_for_onnx`), the network (standardisation included)
by ``torch.onnx.export``; :func:`onnx.compose.merge_models` joins the preprocessor's
output to the network's ``features`` input. Inputs are the raw feature columns, as in
:mod:`fairfront.export` (strings for categoricals, ``""`` for missing; float32 for
numerics, NaN for missing; :func:`fairfront.export.onnx_feed` builds them). Outputs: one
``probabilities_<task>`` [N, 2] float tensor per task (class 0, class 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..datasets import load_multitask, prepare_for_onnx
from ..export import ExportError, input_name, onnx_feed
from ..export._onnx import _column_kinds, _input_schema, _rename_inputs
from ._network import BranchedNetwork, ProbabilityOutputs
from ._runs import load_multitask_model

__all__ = ["ONNX_OPSET", "export_multitask", "output_names", "parity"]

ONNX_OPSET = {"": 18, "ai.onnx.ml": 3}
"""Opsets of the merged graph (torch's exporter writes opset 18 or later)."""
PARITY_TOLERANCE = 1e-5


def output_names(tasks: list[str]) -> list[str]:
    """``probabilities_<task>`` per task, with the task name made ONNX-safe."""
    taken: list[str] = []
    for task in tasks:
        taken.append(input_name(f"probabilities_{task}", taken))
    return taken


def _preprocess_graph(preprocess: Any, schema: list[dict[str, Any]]) -> Any:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    initial_types = [
        (
            spec["column"],
            (StringTensorType if spec["kind"] == "categorical" else FloatTensorType)([None, 1]),
        )
        for spec in schema
    ]
    model = to_onnx(
        prepare_for_onnx(preprocess), initial_types=initial_types, target_opset=dict(ONNX_OPSET)
    )
    _rename_inputs(model, [spec["name"] for spec in schema])
    return model


def _network_graph(network: BranchedNetwork, outputs: list[str]) -> Any:
    import onnx

    wrapper = ProbabilityOutputs(network).eval()
    example = torch.zeros(2, network.n_features)
    program = torch.onnx.export(
        wrapper,
        (example,),
        dynamo=True,
        input_names=["features"],
        output_names=outputs,
        opset_version=ONNX_OPSET[""],
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        external_data=False,
        verbose=False,
    )
    if program is None:  # pragma: no cover - dynamo export always returns a program
        raise ExportError("torch.onnx.export returned no program")
    return onnx.load_from_string(program.model_proto.SerializeToString())


def export_multitask(run_dir: str | Path) -> tuple[bytes, dict[str, Any]]:
    """ONNX bytes of the run's chosen checkpoint and a small card (inputs, outputs, parity)."""
    import onnx
    from onnx import compose

    preprocess, network, run = load_multitask_model(Path(run_dir))
    tasks = list(run["dataset"]["tasks"])
    columns, kinds = _column_kinds(preprocess)
    schema = _input_schema(columns, kinds)
    outputs = output_names(tasks)
    pre = _preprocess_graph(preprocess, schema)
    net = _network_graph(network, outputs)
    ir = min(pre.ir_version, net.ir_version)
    pre.ir_version = net.ir_version = ir
    # One opset per domain in both halves before merging.
    for model in (pre, net):
        for entry in model.opset_import:
            if entry.domain in ONNX_OPSET:
                entry.version = ONNX_OPSET[entry.domain]
    pre_out = pre.graph.output[0].name
    merged = compose.merge_models(pre, net, io_map=[(pre_out, "features")])
    merged.producer_name = "fairfront"
    merged.producer_version = __version__
    selection = run["selection"]
    epoch = int(selection.get("epoch", selection["round"]))
    for key, value in {
        "fairfront.kind": "multitask",
        "fairfront.tasks": json.dumps(tasks),
        "fairfront.learner": str(run["learner"]["name"]),
        "fairfront.epoch": str(epoch),
        "fairfront.setting": json.dumps(selection.get("setting", {})),
    }.items():
        entry = merged.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(merged)
    data: bytes = merged.SerializeToString()
    card = {
        "format": "fairfront.card/1",
        "kind": "multitask",
        "tasks": [{"name": t, "output": o} for t, o in zip(tasks, outputs, strict=True)],
        "learner": run["learner"]["name"],
        "epoch": epoch,
        "setting": selection.get("setting", {}),
        "selection": selection,
        "inputs": schema,
        "outputs": [{"name": o, "type": "tensor(float)", "shape": [None, 2]} for o in outputs],
        "parity": parity(data, run, preprocess, network, schema, outputs),
    }
    return data, card


def parity(
    data: bytes,
    run: dict[str, Any],
    preprocess: Any,
    network: BranchedNetwork,
    schema: list[dict[str, Any]],
    outputs: list[str],
) -> dict[str, Any]:
    """Largest |probability difference| between onnxruntime and PyTorch on the test rows."""
    try:
        import onnxruntime as ort
    except ImportError:
        return {"checked": False, "why": "onnxruntime is not installed"}
    spec = run["spec"]
    dataset = load_multitask(
        spec["data"],
        tasks=spec["tasks"] or None,
        positives=spec["positives"] or None,
        protected=spec["protected"],
        drop=spec["drop"],
        test_size=spec["test_size"],
        random_state=spec["random_state"],
    )
    rows = dataset.X_test if dataset.X_test is not None else dataset.X
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(outputs, onnx_feed(rows, schema))
    features = preprocess.transform(rows)
    features = features.toarray() if hasattr(features, "toarray") else features
    with torch.no_grad():
        expected = torch.sigmoid(network(torch.from_numpy(np.asarray(features, np.float32))))
    worst = max(
        float(np.max(np.abs(np.asarray(g)[:, 1] - expected[:, t].numpy())))
        for t, g in enumerate(got)
    )
    return {
        "checked": True,
        "rows": len(rows),
        "split": "test" if dataset.X_test is not None else "train",
        "max_abs_probability_difference": worst,
        "within_tolerance": worst <= PARITY_TOLERANCE,
    }
