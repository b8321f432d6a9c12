"""Chat: messages become typed intents that change a session's set-up or act on it.

:func:`parse` is the deterministic parser (no LLM); :class:`LLMIntentParser` asks an
OpenAI-compatible model for the same intents by function calling and falls back to
:func:`parse` whenever the model's answer is missing or invalid. :func:`apply` folds
set-up intents into a :class:`Setup`; :func:`describe_setup` says it in words.
"""

from ._intents import (
    MAX_ROUNDS,
    AddConstraint,
    ChatContext,
    ChooseDataset,
    ChooseLearner,
    Clarify,
    DatasetInfo,
    Explain,
    Export,
    Help,
    Intent,
    PointRule,
    RunInfo,
    SelectPoint,
    SetNotions,
    SetProtected,
    SetRounds,
    SetTarget,
    Setup,
    SetupError,
    StartOver,
    Train,
    UploadDataset,
    apply,
    describe_setup,
)
from ._llm import LLMIntentParser, ParseResult, intent_tools
from ._parser import MAX_MESSAGE_CHARS, parse

__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_ROUNDS",
    "AddConstraint",
    "ChatContext",
    "ChooseDataset",
    "ChooseLearner",
    "Clarify",
    "DatasetInfo",
    "Explain",
    "Export",
    "Help",
    "Intent",
    "LLMIntentParser",
    "ParseResult",
    "PointRule",
    "RunInfo",
    "SelectPoint",
    "SetNotions",
    "SetProtected",
    "SetRounds",
    "SetTarget",
    "Setup",
    "SetupError",
    "StartOver",
    "Train",
    "UploadDataset",
    "apply",
    "describe_setup",
    "intent_tools",
    "parse",
]
