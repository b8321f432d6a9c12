"""Learner parameters and sweeps, asked of the rules that already hold them.

Which learner takes a parameter and which values it accepts come from the estimators
(through :data:`fairfront.vocabulary.PARAMETERS`); which learners can be swept, at most
:data:`~fairfront.runs.MAX_SETTINGS` settings, and a parameter never both fixed and swept
are the run layer's own checks (:func:`fairfront.runs.check`, a
:class:`~fairfront.runs.SpecError` naming ``params`` or ``sweep``), asked here about a
set-up before any data is read. Nothing here restates those rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from fairfront.runs import RunSpec, SpecError, check
from fairfront.vocabulary import LEARNERS, PARAMETERS

__all__ = [
    "parameter_phrase",
    "parameter_problems",
    "setting_count",
    "setting_words",
    "spec_problem",
    "sweep_learners",
    "value_problem",
    "written",
]


def written(value: float) -> str:
    """A value as a user would write it (``2``, ``0.05``)."""
    return f"{value:g}"


def parameter_phrase(name: str) -> str:
    """``"fairness weight (fairness_weight)"``."""
    term = PARAMETERS.get(name)
    return f"{term.label} ({name})" if term is not None else name


def setting_words(setting: Mapping[str, object] | None) -> str:
    """A sweep setting in words: ``"fairness weight 2, learning rate 0.05"`` ("" for none)."""
    return ", ".join(
        f"{PARAMETERS[k].label if k in PARAMETERS else k} "
        + (written(v) if isinstance(v, int | float) else str(v))
        for k, v in (setting or {}).items()
    )


def setting_count(sweep: Mapping[str, Sequence[float]]) -> int:
    """Settings a sweep makes: one per combination of the swept values."""
    return prod(len(v) for v in sweep.values()) if sweep else 1


def value_problem(learner: str, name: str, value: float) -> str | None:
    """Why ``learner`` refuses ``value`` for ``name`` (None: it takes it)."""
    term = PARAMETERS[name]
    label = LEARNERS[learner].label
    if not term.takes(learner):
        return f"{label} has no {term.label}"
    if not term.numeric(learner):
        return f"{label} takes its {term.label} as on or off, not as a number"
    if not term.accepts(learner, value):
        return f"{label} takes a {term.label} that is {term.allowed(learner)}, not {written(value)}"
    return None


def spec_problem(
    learner: str,
    params: Mapping[str, float],
    sweep: Mapping[str, Sequence[float]],
    *,
    rounds: int = 300,
    epochs: int | None = None,
) -> str | None:
    """What the run layer says against these parameters and sweep for ``learner``, or
    None. Only parameter and sweep problems: everything else is left valid here."""
    if not params and not sweep:
        return None
    term = LEARNERS[learner]
    spec = RunSpec(
        data="chat",
        learner=learner,
        notions=[term.notions[0]] if term.notions else ["eo"],
        rounds=rounds,
        epochs=epochs or RunSpec.epochs,
        params=dict(params),
        sweep={k: list(v) for k, v in sweep.items()},
    )
    try:
        check(spec)
    except SpecError as error:
        return str(error) if error.field in ("params", "sweep") else None
    except ValueError as error:  # a value the estimator refuses (its own message)
        return str(error)
    return None


def sweep_learners(learner: str, sweep: Mapping[str, Sequence[float]]) -> list[str]:
    """Other learners (predicting what ``learner`` predicts: one target or several) that
    take this sweep, by the run layer's check."""
    multitask = LEARNERS[learner].multitask
    return [
        n
        for n, t in LEARNERS.items()
        if n != learner
        and t.multitask == multitask
        and all(PARAMETERS[p].takes(n) for p in sweep if p in PARAMETERS)
        and spec_problem(n, {}, sweep) is None
    ]


def parameter_problems(
    learner: str,
    params: Mapping[str, float],
    sweep: Mapping[str, Sequence[float]],
    *,
    rounds: int = 300,
    epochs: int | None = None,
) -> list[str]:
    """What ``learner`` says against a set-up's parameters and sweep (empty: none)."""
    out: list[str] = []
    for name, values in [*((n, [v]) for n, v in params.items()), *sweep.items()]:
        said = [value_problem(learner, name, v) for v in values]
        out += [f"{p} ({parameter_phrase(name)})" for p in dict.fromkeys(said) if p]
    if not out:
        problem = spec_problem(learner, params, sweep, rounds=rounds, epochs=epochs)
        out += [problem] if problem else []
    return out
