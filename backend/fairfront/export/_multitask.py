"""Export a multi-task run's point (a checkpoint) as ONE ONNX graph, preprocessing inside.

The fitted preprocessor is converted by skl2onnx (see
:func:`fairfront.datasets.prepare_for_onnx`), the network (standardisation included)
by ``torch.onnx.export``; :func:`onnx.compose.merge_models` joins the preprocessor's
output to the network's ``features`` input. Inputs are the raw feature columns, as in
:mod:`fairfront.export` (strings for categoricals, ``""`` for missing; float32 for
numerics, NaN for missing; :func:`fairfront.export.onnx_feed` builds them). Outputs: one
``probabilities_<task>`` [N, 2] float tensor per task (class 0, class 1).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..datasets import load_multitask, prepare_for_onnx
from ..learners.multitask import BranchedNetwork, ProbabilityOutputs
from ..runs import load_model, read_front, read_run
from ._onnx import ExportError, column_kinds, input_name, input_schema, onnx_feed, rename_inputs

__all__ = ["ONNX_OPSET", "export_multitask", "multitask_card_markdown", "output_names", "parity"]

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
    rename_inputs(model, [spec["name"] for spec in schema])
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


def export_multitask(run_dir: str | Path, round: int | None = None) -> tuple[bytes, dict[str, Any]]:
    """ONNX bytes of one point (default: the selected one) and its card (inputs, outputs,
    the point's per-task figures, parity)."""
    import onnx
    from onnx import compose

    run = read_run(Path(run_dir))
    front = read_front(Path(run_dir))
    selected = front.selection.round if front.selection is not None else 1
    chosen = selected if round is None else int(round)
    if not 1 <= chosen <= len(front.points):
        raise ExportError(
            f"round {chosen} does not exist: the run in {str(run_dir)!r} has rounds 1 to "
            f"{len(front.points)}"
        )
    model = load_model(Path(run_dir), round=chosen)
    preprocess, network = model.preprocess, model.network
    tasks = list(run["dataset"]["tasks"])
    columns, kinds = column_kinds(preprocess)
    schema = input_schema(columns, kinds)
    outputs = output_names(tasks)
    pre = _preprocess_graph(preprocess, schema)
    net = _network_graph(network, outputs)
    ir = min(pre.ir_version, net.ir_version)
    pre.ir_version = net.ir_version = ir
    # One opset per domain in both halves before merging.
    for part in (pre, net):
        for entry in part.opset_import:
            if entry.domain in ONNX_OPSET:
                entry.version = ONNX_OPSET[entry.domain]
    pre_out = pre.graph.output[0].name
    merged = compose.merge_models(pre, net, io_map=[(pre_out, "features")])
    merged.producer_name = "fairfront"
    merged.producer_version = __version__
    point = front.points[chosen - 1]
    epoch = int(point.epoch or chosen)
    setting = point.setting or {}
    for key, value in {
        "fairfront.kind": "multitask",
        "fairfront.tasks": json.dumps(tasks),
        "fairfront.learner": str(run["learner"]["name"]),
        "fairfront.round": str(chosen),
        "fairfront.selected_round": str(selected),
        "fairfront.epoch": str(epoch),
        "fairfront.setting": json.dumps(setting),
    }.items():
        entry = merged.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(merged)
    data: bytes = merged.SerializeToString()
    selection = run["selection"]
    card = {
        "format": "fairfront.card/1",
        "kind": "multitask",
        "model": {
            "format": "ONNX",
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "opsets": dict(ONNX_OPSET),
        },
        "tasks": [
            {"name": t, "output": o, "positive": run["dataset"]["positives"].get(t)}
            for t, o in zip(tasks, outputs, strict=True)
        ],
        "learner": run["learner"]["name"],
        "round": chosen,
        "epoch": epoch,
        "setting": setting,
        "selection": {
            **selection,
            "exported_round": chosen,
            "selected_round": selected,
            "is_selected_round": chosen == selected,
        },
        "protected": run["dataset"]["protected"],
        "inputs": schema,
        "outputs": [{"name": o, "type": "tensor(float)", "shape": [None, 2]} for o in outputs],
        "metrics": {
            "validation": point.validation.model_dump(mode="json"),
            "test": None if point.test is None else point.test.model_dump(mode="json"),
            "tasks": {t: b.model_dump(mode="json") for t, b in (point.tasks or {}).items()},
        },
        "baselines": None if front.baselines is None else front.baselines.model_dump(mode="json"),
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


def _figure(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.4f}"


def multitask_card_markdown(card: dict[str, Any]) -> str:
    """The card in Markdown: the model, its inputs and outputs, each task's figures, gains."""
    lines = [
        f"# Model card: {card['learner']} (multi-task), round {card['round']}",
        "",
        f"Epoch {card['epoch']}"
        + (f", setting {card['setting']}" if card["setting"] else "")
        + (
            f". The run's selected point: {card['selection'].get('reason', '')}"
            if card["selection"]["is_selected_round"]
            else f". Chosen by the caller, NOT the run's selected round "
            f"{card['selection']['selected_round']}."
        ),
        "",
        "## Outputs",
        "",
        "| task | output | positive class |",
        "|---|---|---|",
    ]
    for task in card["tasks"]:
        lines.append(f"| {task['name']} | `{task['output']}` [N, 2] | {task['positive']} |")
    lines += ["", "## Figures by task (test split)", ""]
    notions = ["eo", "eo_sum", "eop"]
    lines.append("| task | accuracy | balanced accuracy | " + " | ".join(notions) + " |")
    lines.append("|---" * (3 + len(notions)) + "|")
    for name, blocks in card["metrics"]["tasks"].items():
        block = blocks.get("test") or blocks["validation"]
        cells = [_figure((block.get(n) or {}).get("value")) for n in notions]
        lines.append(
            f"| {name} | {_figure(block['accuracy'])} | {_figure(block['balanced_accuracy'])} | "
            + " | ".join(cells)
            + " |"
        )
    baselines = card.get("baselines")
    if baselines:
        mean = baselines["gains"]["mean"]
        lines += [
            "",
            "## Against single-task models",
            "",
            f"{baselines['description']}. Mean over tasks ({baselines['split']} split): "
            f"knowledge gain {_figure(mean['knowledge_gain'])}, balanced knowledge gain "
            f"{_figure(mean['balanced_knowledge_gain'])}, discrimination gain (eo_sum) "
            f"{_figure(mean['discrimination_gain']['eo_sum'])} (lower is better).",
        ]
    parity_ = card["parity"]
    if parity_.get("checked"):
        lines += [
            "",
            f"Parity: onnxruntime against PyTorch on {parity_['rows']} {parity_['split']} rows, "
            f"max |probability difference| {parity_['max_abs_probability_difference']:.2e}.",
        ]
    lines += ["", "## Inputs", "", "| input | column | kind |", "|---|---|---|"]
    for spec in card["inputs"]:
        lines.append(f"| `{spec['name']}` | {spec['column']} | {spec['kind']} |")
    return "\n".join(lines) + "\n"
