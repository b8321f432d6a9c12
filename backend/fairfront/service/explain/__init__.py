"""Explanations of one point of a front, in plain language, with numbers kept honest.

:func:`build_fact_sheet` gathers the facts (every number an explanation may use);
:func:`builtin_explanation` writes them out without a model; :class:`LLMExplainer`
asks an OpenAI-compatible model and keeps its answer only when :func:`check_numbers`
finds no invented number; :func:`explain` picks between them and never raises.
"""

from ._builtin import builtin_explanation, outcome_words
from ._facts import (
    MIN_GROUP_SIZE,
    Comparison,
    ConstraintFacts,
    FactSheet,
    Gap,
    GroupRates,
    NotionFacts,
    PointFacts,
    ProtectedFacts,
    SplitFacts,
    build_fact_sheet,
    by_group_from_report,
    front_neighbours,
)
from ._llm import PROMPTS_DIR, Explanation, LLMExplainer, data_block, explain, render_prompt
from ._numbers import check_claims, check_numbers, numbers_in
from ._safe_text import safe_markdown

__all__ = [
    "MIN_GROUP_SIZE",
    "PROMPTS_DIR",
    "Comparison",
    "ConstraintFacts",
    "Explanation",
    "FactSheet",
    "Gap",
    "GroupRates",
    "LLMExplainer",
    "NotionFacts",
    "PointFacts",
    "ProtectedFacts",
    "SplitFacts",
    "build_fact_sheet",
    "builtin_explanation",
    "by_group_from_report",
    "check_claims",
    "check_numbers",
    "data_block",
    "explain",
    "front_neighbours",
    "numbers_in",
    "outcome_words",
    "render_prompt",
    "safe_markdown",
]
