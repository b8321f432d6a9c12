"""The built-in explanation: plain words from the fact sheet, no model call.

Written for someone who is not a statistician. Every number it writes is one of the
fact sheet's numbers, rounded (checked by :func:`~fairfront.service.explain.check_numbers`
in the tests).
"""

from __future__ import annotations

from ...runs import setting_label
from ._facts import Comparison, FactSheet, Gap, GroupRates

__all__ = ["builtin_explanation", "outcome_words"]

_OUTCOMES: dict[tuple[str, str, str], tuple[str, str, str]] = {
    ("adult", "Y", ">50K"): (
        "whether a person earns over 50K a year",
        "people who did earn over 50K",
        "people who did not",
    ),
    ("compas", "two_year_recid", "1"): (
        "whether a person re-offends within two years",
        "people who did re-offend within two years",
        "people who did not",
    ),
    ("german", "Probability", "1"): (
        "whether a person has good credit",
        "people who really had good credit",
        "people who did not",
    ),
    ("bank", "Probability", "yes"): (
        "whether a client subscribes to a term deposit",
        "clients who did subscribe",
        "clients who did not",
    ),
}


def outcome_words(facts: FactSheet) -> tuple[str, str, str]:
    """(what is predicted, who is really positive, who is really negative) in words."""
    known = _OUTCOMES.get((facts.dataset, facts.target, facts.positive))
    if known is not None:
        return known
    if facts.target_rule:  # the positive class reads "G3 >= 10"
        return (
            f"whether {facts.positive}",
            f"rows where {facts.positive} really holds",
            "rows where it does not",
        )
    return (
        f"whether {facts.target} is {facts.positive}",
        f"rows whose {facts.target} really is {facts.positive}",
        f"rows whose {facts.target} is not {facts.positive}",
    )


_RATE_WORDS = {
    "tpr": "recognised",
    "fpr": "wrongly flagged",
    "selection_rate": "predicted positive",
    "accuracy": "right",
}
"""How a group's rate reads in a sentence (as in the by-group lines)."""

_SAME = 0.0005
"""Changes smaller than this read as "about the same" (they round to 0.000)."""


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _dec(x: float) -> str:
    return f"{x:.3f}"


def _points(x: float) -> str:
    return f"{abs(x) * 100:.1f} percentage points"


def _label(facts: FactSheet, notion: str) -> str:
    found = next((n for n in facts.notions if n.name == notion), None)
    return found.label if found is not None else notion


def _what_it_is(facts: FactSheet) -> str:
    what, _, _ = outcome_words(facts)
    state = "the selected point" if facts.point.selected else "a point"
    place = "on the Pareto front" if facts.point.on_front else "off the Pareto front"
    setting = facts.point.setting
    where = (
        f" (setting {setting_label(setting)}, its round {facts.point.setting_round})"
        if setting
        else ""
    )
    return (
        f"This is round {facts.point.round}{where} of the {facts.learner_label} model trained "
        f"on the {facts.dataset} data: {state}, {place}. It predicts {what} "
        f"({facts.target} = {facts.positive})."
    )


def _how_often_right(facts: FactSheet) -> str:
    report = facts.report
    _, yes, no = outcome_words(facts)
    parts: list[str] = []
    n = facts.overall.n if facts.overall is not None else None
    rows = f" ({n:,} rows)" if n else ""
    if report.accuracy is not None:
        parts.append(
            f"On the {facts.split} split{rows} it is right {_pct(report.accuracy)} of the time "
            f"(accuracy {_dec(report.accuracy)})."
        )
    if report.balanced_accuracy is not None:
        parts.append(
            "Because one outcome is more common than the other, a model can look accurate "
            "by mostly predicting the common one; balanced accuracy guards against this by "
            "averaging how often the model is right within each of the two classes. Here it "
            f"is {_dec(report.balanced_accuracy)}"
        )
        overall = facts.overall
        if overall is not None and overall.tpr is not None and overall.tnr is not None:
            parts[-1] += (
                f": the model recognises {_pct(overall.tpr)} of {yes} and correctly rules out "
                f"{_pct(overall.tnr)} of {no}."
            )
        else:
            parts[-1] += "."
    return " ".join(parts)


def _gap_sentence(facts: FactSheet, gap: Gap) -> str:
    _, yes, no = outcome_words(facts)
    high = f"{_pct(gap.high_value)} in the {gap.high_group} group"
    low = f"{_pct(gap.low_value)} in the {gap.low_group} group"
    if gap.rate == "tpr":
        body = f"among {yes}, the model recognises {high} but only {low}"
        name = "true-positive rates"
    elif gap.rate == "fpr":
        body = f"among {no}, the model wrongly predicts {facts.positive} for {high} but for {low}"
        name = "false-positive rates"
    elif gap.rate == "selection_rate":
        body = f"the model predicts {facts.positive} for {high} but for {low}"
        name = "selection rates"
    else:
        body = f"the model is right for {high} but for {low}"
        name = "accuracy per group"
    feeds = f", which feeds {_label(facts, gap.notion)}" if gap.notion else ""
    return (
        f"The largest gap between groups is for {gap.attribute}: {body} ({name}; a gap of "
        f"{_points(gap.gap)}{feeds})."
    )


def _groups(facts: FactSheet) -> str:
    lines = []
    for attribute, groups in facts.by_group.items():
        shown = list(groups.items())[:8]
        described = "; ".join(_group(g, s) for g, s in shown)
        more = f"; and {len(groups) - 8} more groups" if len(groups) > 8 else ""
        lines.append(f"- {attribute}: {described}{more}.")
    if not lines:
        return ""
    return (
        f"By group ({facts.split} split; recognised = share of real positives predicted "
        "positive, wrongly flagged = share of real negatives predicted positive):\n"
        + "\n".join(lines)
    )


def _group(name: str, s: GroupRates) -> str:
    parts = [f"{name} ({s.n:,} rows"]
    if s.tpr is not None:
        parts.append(f"recognised {_pct(s.tpr)}")
    if s.fpr is not None:
        parts.append(f"wrongly flagged {_pct(s.fpr)}")
    return ", ".join(parts) + ")"


def _fairness(facts: FactSheet) -> str:
    report = facts.report
    sentences = []
    for notion in facts.notions:
        entry = report.notions.get(notion.name)
        if entry is None or entry.value is None:
            continue
        per = ", ".join(
            f"{a} {_dec(v)}{_interval(entry.ci_by_attribute.get(a))}"
            for a, v in entry.by_attribute.items()
            if v is not None
        )
        label = f"{notion.label[:1].upper()}{notion.label[1:]}"
        sentences.append(
            f"{label}, {notion.name} ({notion.description}), is {_dec(entry.value)}"
            f"{_interval(entry.ci)} on the worst attribute" + (f" ({per})." if per else ".")
        )
    if not sentences:
        return ""
    levels = [e.level for e in report.notions.values() if e.level is not None]
    how = (
        f" In brackets: the {_pct(levels[0])} confidence interval, the range the gap on new "
        "data from the same population is likely to fall in; a wide one means too few rows "
        "to pin the gap down."
        if levels
        else ""
    )
    return "Fairness gaps (0 means the groups are treated alike): " + " ".join(sentences) + how


def _interval(ci: list[float] | None) -> str:
    """`` [0.012 to 0.162]`` or nothing."""
    return "" if ci is None else f" [{_dec(ci[0])} to {_dec(ci[1])}]"


def _constraints(facts: FactSheet) -> str:
    out = []
    for c in facts.constraints:
        if c.validation_value is None:
            out.append(f"The run asked for {c.description}; this point has no value for it.")
            continue
        verdict = "meets" if c.met else "does not meet"
        test = f" (on the test split: {_dec(c.test_value)})" if c.test_value is not None else ""
        out.append(
            f"It {verdict} the constraint {c.description} on the validation split, where "
            f"the choice is made ({_dec(c.validation_value)}){test}."
        )
    return " ".join(out)


def _trade(facts: FactSheet, other: Comparison, name: str) -> str:
    first = facts.notions[0].name if facts.notions else None
    ba = other.balanced_accuracy_change
    gap = other.notion_changes.get(first) if first else None
    if ba is None or gap is None or first is None:
        return f"{name} cannot be compared on the {facts.split} split."
    figures = (
        f"{name} has balanced accuracy {_dec(other.balanced_accuracy or 0.0)} and {first} "
        f"{_dec(other.notions.get(first) or 0.0)}"
    )
    ba = 0.0 if abs(ba) < _SAME else ba
    gap = 0.0 if abs(gap) < _SAME else gap
    gain, cost = f"{abs(ba):.3f} balanced accuracy", f"{abs(gap):.3f} of {first}"
    if ba == 0 and gap == 0:
        verdict = "the two are about the same"
    elif ba == 0:
        wider, more = ("wider", "more") if gap > 0 else ("narrower", "less")
        verdict = f"about the same balanced accuracy, with a {wider} gap here ({cost} {more})"
    elif gap == 0:
        verdict = f"about the same {first}, with {gain} {'more' if ba > 0 else 'less'} here"
    elif ba > 0 and gap < 0:
        verdict = f"this point is ahead on both ({gain} more, {cost} less)"
    elif ba < 0 and gap > 0:
        verdict = f"this point is behind on both ({gain} less, {cost} more)"
    elif ba > 0:
        verdict = f"this point gains {gain} but has a wider gap ({cost} more)"
    else:
        verdict = f"this point is fairer ({cost} less) but gives up {gain}"
    return f"{figures}; {verdict}."


def _comparisons(facts: FactSheet) -> str:
    out = []
    for nb in facts.neighbours:
        side = f" with {nb.side} validation balanced accuracy" if nb.side else ""
        out.append(_trade(facts, nb, f"Round {nb.round}, its neighbour on the front{side},"))
    if facts.baseline is not None:
        out.append(_trade(facts, facts.baseline, "An unconstrained model (no fairness objective)"))
    if not out:
        return ""
    return f"Compared with other models ({facts.split} split): " + " ".join(out)


def _caveats(facts: FactSheet) -> str:
    if facts.split == "test":
        text = (
            "All figures above are from the test split, which played no part in choosing "
            "the point (that used the validation split), so they show how the model does on "
            "new data."
        )
    else:
        text = (
            "There is no test split: the figures above are from the validation split that "
            "was used to choose the point, so they are likely a little optimistic."
        )
    small = [
        f"{s.group} in {s.attribute} ({s.n} rows"
        + "".join(f"; {_RATE_WORDS.get(r, r)}{_interval(ci)}" for r, ci in s.wide_rates.items())
        + ")"
        for s in facts.small_groups
    ]
    if small:
        text += (
            " Some groups are too small to judge: fewer than "
            f"{facts.min_group_size} rows, or a rate whose confidence interval spans more than "
            f"{_points(facts.too_wide)}, so a few people more or less move the figures a lot: "
            f"{', '.join(small[:10])}."
        )
    else:
        text += " Rates for small groups are noisier than for large ones."
    return text


def builtin_explanation(facts: FactSheet) -> str:
    """The point in plain language, from the fact sheet alone."""
    paragraphs = [
        _what_it_is(facts),
        _how_often_right(facts),
        _gap_sentence(facts, facts.largest_gap) if facts.largest_gap is not None else "",
        _groups(facts),
        _fairness(facts),
        _constraints(facts),
        _comparisons(facts),
        _caveats(facts),
    ]
    return "\n\n".join(p for p in paragraphs if p)
