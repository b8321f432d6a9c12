"""The set-up said in words: what will train, what the profile left out, what is missing."""

from __future__ import annotations

from collections.abc import Mapping

from fairfront.fronts import Constraint
from fairfront.vocabulary import LEARNERS, NOTIONS, PARAMETERS

from ._param_rules import setting_count, written
from ._setup import DatasetInfo, Setup

__all__ = ["describe_setup", "notion_phrase"]


def notion_phrase(notion: str) -> str:
    """``"equalized odds (worst case, Fairlearn convention) (eo)"``."""
    return f"{NOTIONS[notion].label} ({notion})"


def _label(name: str) -> str:
    term = PARAMETERS.get(name)
    return term.label if term is not None else name


def _values(values: list[float] | list[int]) -> str:
    said = [written(v) for v in values]
    return ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else "".join(said)


def describe_setup(
    setup: Setup,
    datasets: Mapping[str, DatasetInfo] | None = None,
    *,
    with_problems: bool = True,
) -> str:
    """The set-up in a few plain sentences, with what still stops it from training
    (unless ``with_problems`` is False: the reply says that already)."""
    info = (datasets or {}).get(setup.dataset or "")
    if setup.dataset is None:
        lines = ["Dataset: not chosen yet."]
    elif setup.tasks:
        lines = [f"Dataset: {setup.dataset}, predicting {' and '.join(setup.tasks)} together."]
    elif setup.target_rule:
        lines = [f"Dataset: {setup.dataset}, predicting whether {setup.target_rule}."]
    else:
        target = setup.target or (info.target if info else "its default target")
        positive = setup.positive or (
            "not known yet"
            if info and info.positive_question
            else info.positive
            if info
            else "the default"
        )
        lines = [f"Dataset: {setup.dataset}, predicting {target} (positive class: {positive})."]
    if info is not None and info.excluded:
        left_out = [c for c in info.excluded if c not in setup.keep]
        if left_out:
            lines.append(
                "Left out by the profile: "
                + "; ".join(f"{c} ({', '.join(info.excluded[c]) or 'flagged'})" for c in left_out)
                + ' (say "put <column> back" to use one).'
            )
    if setup.drop:
        lines.append(f"Dropped columns: {', '.join(setup.drop)}.")
    if setup.keep:
        lines.append(f"Columns put back: {', '.join(setup.keep)}.")
    if setup.protected is not None:
        lines.append(f"Protected attributes: {', '.join(setup.protected)}.")
    elif info is not None and info.protected:
        lines.append(f"Protected attributes: the defaults ({', '.join(info.protected)}).")
    else:
        lines.append("Protected attributes: the dataset's defaults.")
    lines.append(f"Learner: {LEARNERS[setup.learner].label} ({setup.learner}).")
    default = "" if setup.notions else " (the default)"
    notions = ", ".join(notion_phrase(n) for n in setup.effective_notions)
    lines.append(f"Fairness notions: {notions}{default}.")
    if setup.constraints:
        described = "; ".join(Constraint.parse(c).describe() for c in setup.constraints)
        lines.append(f"Constraints: {described}.")
    else:
        lines.append(
            "Constraints: none (the default choice: the best validation balanced accuracy "
            "within 0.02 of the lowest violation)."
        )
    if LEARNERS[setup.learner].multitask:
        lines.append(f"Epochs: {setup.epochs or 'the default'}.")
    else:
        lines.append(f"Rounds: {setup.rounds}.")
    if setup.params:
        lines.append(
            "Learner parameters: "
            + ", ".join(f"{_label(n)} {written(v)}" for n, v in setup.params.items())
            + "."
        )
    if setup.sweep:
        count = setting_count(setup.sweep)
        lines.append(
            "Sweep: "
            + "; ".join(f"{_label(n)} over {_values(vs)}" for n, vs in setup.sweep.items())
            + f" ({count} settings, each its own fit; one front and one choice over all)."
        )
    problems = setup.problems(info) if with_problems else []
    if problems:
        lines.append("Before training: " + "; ".join(problems) + ".")
    return "\n".join(lines)
