"""The model card: what the exported graph expects, what it predicts, how it was chosen.

The card is a JSON document (``model.card.json``) built by
:func:`fairfront.export.export_model`; :func:`card_markdown` renders the same
content for people (``model.card.md``). Helpers here read ``front.json`` only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..metrics import TOO_WIDE, format_interval, too_wide_groups, wider_than_gap

__all__ = ["card_markdown", "front_summary", "point_for_round"]

_SPLITS = ("validation", "test")
_RATES = ("selection_rate", "tpr", "fpr", "tnr", "accuracy", "ppv", "base_rate")


def point_for_round(front: Mapping[str, Any], round: int) -> dict[str, Any]:
    """The ``front.json`` point of one round."""
    for point in front.get("points", []):
        if int(point["round"]) == round:
            return dict(point)
    raise ValueError(f"front.json has no point for round {round}")


def _range(values: Sequence[Any]) -> list[float] | None:
    numbers = [float(v) for v in values if v is not None]
    return [min(numbers), max(numbers)] if numbers else None


def front_summary(front: Mapping[str, Any]) -> dict[str, Any]:
    """Points, points on the front, and each figure's range over the front."""
    points = list(front.get("points", []))
    on_front = [p for p in points if p.get("on_front")]
    notions = list(front.get("notions", []))
    ranges: dict[str, dict[str, list[float] | None]] = {}
    for split in _SPLITS:
        blocks = [p[split] for p in on_front if split in p]
        if not blocks:
            continue
        figures: dict[str, list[float] | None] = {
            "accuracy": _range([b.get("accuracy") for b in blocks]),
            "balanced_accuracy": _range([b.get("balanced_accuracy") for b in blocks]),
        }
        for notion in notions:
            figures[notion] = _range([(b.get(notion) or {}).get("value") for b in blocks])
        ranges[split] = figures
    return {
        "points": len(points),
        "on_front": len(on_front),
        "front_rounds": [int(p["round"]) for p in on_front],
        "notions": notions,
        "objectives": front.get("objectives"),
        "ranges_over_front": ranges,
    }


# ----- Markdown ---------------------------------------------------------------------


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _block_rows(card: Mapping[str, Any]) -> list[list[Any]]:
    metrics = card["metrics"]
    notions = card["front"]["notions"]
    rows: list[list[Any]] = []
    for split in _SPLITS:
        block = metrics.get(split)
        if not block:
            continue
        row = [split, _num(block.get("accuracy")), _num(block.get("balanced_accuracy"))]
        for notion in notions:
            row.append(_notion_cell(block.get(notion) or {}))
        rows.append(row)
    return rows


def _pair(interval: Any) -> str:
    """``[0.0120, 0.1620]`` or ``-``."""
    if not isinstance(interval, list) or len(interval) != 2 or None in interval:
        return "-"
    return f"[{interval[0]:.4f}, {interval[1]:.4f}]"


def _notion_cell(entry: Mapping[str, Any]) -> str:
    """``0.0804 [0.0000, 0.1620] (sex 0.0300 [...], race ...)``: each gap with its
    confidence interval when the block carries one; a gap whose interval is wider than
    the gap itself is marked ``(?)``: it cannot be told from noise."""
    raw = entry.get("ci")
    ci: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    by_ci = ci.get("by_attribute") or {}

    def one(value: Any, interval: Any) -> str:
        text = format_interval(value, interval, 4)
        return text + " (?)" if wider_than_gap(value, interval) else text

    by = entry.get("by_attribute") or {}
    detail = ", ".join(f"{a} {one(v, by_ci.get(a))}" for a, v in by.items())
    value = one(entry.get("value"), ci.get("value"))
    return f"{value} ({detail})" if detail else value


def _interval_note(card: Mapping[str, Any]) -> list[str]:
    """How to read the intervals, and the groups too small to judge (validation sizes)."""
    blocks = [card["metrics"].get(s) for s in _SPLITS]
    levels = {
        (b.get(n) or {}).get("ci", {}).get("level")
        for b in blocks
        if b
        for n in card["front"]["notions"]
    } - {None}
    if not levels:
        return []
    level = max(levels)
    lines = [
        f"In brackets after each gap: its {level:.0%} confidence interval (Wilson score "
        "intervals per group, Newcombe's for differences; see `fairfront.metrics`). "
        "`(?)` marks a gap whose interval is wider than the gap itself: it cannot be told "
        "apart from noise on this many rows.",
        "",
    ]
    for split, block in zip(_SPLITS, blocks, strict=True):
        sizes = (block or {}).get("group_sizes") or {}
        parts = [f"{a}={g} ({n} rows)" for a, groups in sizes.items() for g, n in groups.items()]
        if parts:
            lines += [f"Group sizes on {split}: " + ", ".join(parts) + ".", ""]
    return lines


def _group_section(by_group: Mapping[str, Any]) -> list[str]:
    if not by_group.get("available"):
        return [f"Not available: {by_group.get('reason')}.", ""]
    lines = [
        f"Recomputed on the {by_group.get('n_rows')} rows of the test split with "
        "`fairfront.metrics.evaluate`"
        + ("" if by_group.get("matches_front_json") else " (WARNING: differs from front.json)")
        + ".",
        "",
    ]
    overall = by_group.get("overall", {})
    lines += _table(
        ["accuracy", "balanced accuracy", "TPR", "TNR", "FPR", "selection rate"],
        [
            [
                _num(overall.get(k))
                for k in ("accuracy", "balanced_accuracy", "tpr", "tnr", "fpr", "selection_rate")
            ]
        ],
    )
    sections = dict(by_group.get("attributes", {}))
    if by_group.get("intersectional"):
        sections["intersectional (cells under the minimum size left out of gaps)"] = by_group[
            "intersectional"
        ]
    notions = list(by_group.get("notions", []))
    for name, attribute in sections.items():
        lines += [f"**{name}**", ""]
        rows = [
            [group, stats.get("n"), *[_num(stats.get(r)) for r in _RATES]]
            + (["small"] if stats.get("small") else [""])
            for group, stats in attribute.get("groups", {}).items()
        ]
        lines += _table(["group", "rows", *_RATES, "flag"], rows)
        differences = attribute.get("differences", {})
        ratios = attribute.get("ratios", {})
        intervals = attribute.get("intervals") or {}
        level = by_group.get("ci_level")
        head = ["notion", "difference", f"{level:.0%} interval" if level else "interval", "ratio"]
        lines += _table(
            head,
            [
                [
                    n,
                    _num(differences.get(n)),
                    _pair(intervals.get(n)),
                    _num(ratios.get(n)),
                ]
                for n in notions
            ],
        )
        groups = attribute.get("groups", {})
        small = {g: [n for n in notions if g in too_wide_groups(groups, n)] for g in groups}
        flagged = [
            f"{g} ({groups[g].get('n')} rows: {', '.join(ns)})" for g, ns in small.items() if ns
        ]
        if flagged:
            lines += [
                "Too small to judge (a compared rate's interval is wider than "
                f"{TOO_WIDE:g}): " + "; ".join(flagged) + ".",
                "",
            ]
    return lines


def card_markdown(card: Mapping[str, Any]) -> str:
    """The model card as Markdown."""
    target = card["target"]
    selection = card["selection"]
    model = card["model"]
    dataset = card["dataset"]
    lines = [
        f"# Model card: {card['learner'].get('class')} on {dataset.get('name')}, "
        f"round {selection['exported_round']}",
        "",
        f"- ONNX file: `{model.get('file', 'model.onnx')}`, sha256 `{model['sha256']}` "
        f"({model['bytes']} bytes, opsets {model['opsets']})",
        f"- exported {card['created']} from a run trained {card['run'].get('created')}",
        f"- target `{target['column']}`: positive class {target['positive']!r}, negative "
        f"{target['negative']!r}; class order {target['classes']}",
        *(
            [f"- the label is binarised by the rule `{rule['text']}`: {rule['meaning']}"]
            if (rule := target.get("binarised_by"))
            else []
        ),
        f"- {selection['note']}",
        "",
        "## Inputs",
        "",
        "One input per raw column, each of shape [N, 1]. " + card["missing_values"],
        "",
    ]
    rows = []
    for spec in card["inputs"]:
        if spec["kind"] == "categorical":
            detail = f"{len(spec['categories'])} categories: " + ", ".join(
                repr(c) for c in spec["categories"]
            )
        else:
            detail = f"missing -> median {spec['median']:g}"
        rows.append([f"`{spec['name']}`", spec["column"], spec["type"], detail])
    lines += _table(["input", "column", "type", "values"], rows)
    lines += ["## Outputs", ""]
    lines += _table(
        ["output", "type", "shape", "meaning"],
        [[f"`{o['name']}`", o["type"], o["shape"], o["meaning"]] for o in model["outputs"]],
    )
    lines += [target["rule"] + ".", ""]

    lines += ["## Protected attributes", ""]
    prot_rows = []
    for attribute in card["protected"]:
        groups = attribute.get("groups")
        if groups:
            text = "; ".join(f"{g}: {', '.join(map(str, m))}" for g, m in groups.items())
        else:
            text = "every value its own group"
        if attribute.get("rest"):
            text += f"; rest: {attribute['rest']}"
        if attribute.get("edges"):
            text += f" (buckets at {attribute['edges']}: {attribute.get('buckets')})"
        prot_rows.append([attribute["column"], text])
    lines += _table(["column", "groups"], prot_rows)

    learner = card["learner"]
    lines += [
        "## Learner",
        "",
        f"{learner.get('class')} ({learner.get('name')}): {learner.get('rounds_fitted')} rounds "
        f"fitted ({learner.get('stop_reason')}), {learner['rounds_exported']} exported; "
        f"weak learner {learner.get('weak_learner')}.",
        "",
    ]
    lines += _table(
        ["parameter", "value"],
        [[k, json.dumps(v)] for k, v in (learner.get("params") or {}).items()],
    )

    lines += [
        "## Choice of the point",
        "",
        f"Exported round {selection['exported_round']}; the run's selected round is "
        f"{selection['selected_round']}. {selection['note']}.",
        "",
        f"Rule: `{json.dumps(selection.get('rule'))}`. Reason: {selection.get('reason')}",
        "",
    ]

    metrics = card["metrics"]
    notions = card["front"]["notions"]
    lines += [
        "## Metrics at this round",
        "",
        "Violations are the worst over protected attributes (by attribute in brackets). "
        + "; ".join(
            f"`{n}` = {metrics['conventions'].get(n, metrics['notion_labels'].get(n))}"
            for n in notions
        )
        + ".",
        "",
    ]
    lines += _table(["split", "accuracy", "balanced accuracy", *notions], _block_rows(card))
    lines += _interval_note(card)
    lines += [
        "### Test split by group",
        "",
        "Notions: "
        + "; ".join(f"`{n}` = {label}" for n, label in metrics["notion_labels"].items())
        + ". "
        + " ".join(f"`{n}`: {text}." for n, text in metrics["conventions"].items()),
        "",
    ]
    lines += _group_section(metrics["test_by_group"])

    front = card["front"]
    lines += [
        "## The front",
        "",
        f"{front['points']} rounds scored, {front['on_front']} on the front "
        f"(non-dominated on the validation objectives): rounds {front['front_rounds']}.",
        "",
    ]
    range_rows = []
    for split, figures in front["ranges_over_front"].items():
        for name, span in figures.items():
            range_rows.append(
                [split, name, "-" if span is None else f"{span[0]:.4f} - {span[1]:.4f}"]
            )
    lines += _table(["split", "figure", "range over the front"], range_rows)

    parity = card["parity"]
    lines += ["## Parity with the Python pipeline", ""]
    if parity.get("checked"):
        lines += [
            f"onnxruntime vs the Python pipeline on the {parity['rows']} rows of the "
            f"{parity['split']} split: label agreement {parity['label_agreement']:.6f}, max "
            f"|probability difference| {parity['max_abs_probability_difference']:.3g}"
            + ("." if parity.get("passed") else " (NOT within tolerance)."),
            "",
        ]
    else:
        lines += [f"Not checked: {parity.get('reason')}.", ""]

    versions = card["versions"]
    lines += ["## Versions", ""]
    names = sorted(set(versions["export"]) | set(versions["training"]))
    lines += _table(
        ["library", "export", "training"],
        [[n, versions["export"].get(n, "-"), versions["training"].get(n, "-")] for n in names],
    )
    if dataset.get("warnings"):
        lines += ["## Data warnings", ""] + [f"- {w}" for w in dataset["warnings"]] + [""]
    return "\n".join(lines).rstrip() + "\n"
