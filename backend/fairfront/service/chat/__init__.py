"""Chat: messages become typed intents that change a session's set-up or act on it.

The pieces, each testable on its own:

- :mod:`._intents`: the intent types (both the rule reader and an LLM's function calls
  produce them); :mod:`._setup`: the set-up, what the chat knows about datasets and
  runs, and :func:`apply` / :func:`describe_setup`;
- :mod:`._tokens` (tokens), :mod:`._lexicon` (phrases from the registries in
  :mod:`fairfront.vocabulary` plus the grammar's cue words), :mod:`._clause`,
  :mod:`._bounds`, :mod:`._frames`, :mod:`._setup_frames`, :mod:`._questions` (what one
  clause asks for) and :mod:`._reader` (:func:`parse`: a message to intents, or one
  question when any content word or number is left unread);
- :mod:`._checks`: the checks against the session, shared by the reader and the LLM
  path (:func:`check_intents`); :mod:`._say`: intents back to words (replies, buttons);
- :mod:`._llm`: :class:`LLMIntentParser`, function calling with :func:`parse` as the
  fallback; :mod:`._answers`: answers to questions from the registry and stored numbers.
"""

from ._answers import define, point_answer
from ._describe import describe_setup
from ._intent_checks import check_intents
from ._intents import (
    ACTION_INTENTS,
    MAX_ROUNDS,
    SETUP_INTENTS,
    AddConstraint,
    Ask,
    Cancel,
    ChooseDataset,
    ChooseLearner,
    Clarify,
    Compare,
    Define,
    DropColumns,
    Explain,
    Export,
    Help,
    Intent,
    KeepColumns,
    ListRuns,
    Move,
    OpenRun,
    PointRule,
    ResetParameters,
    SelectPoint,
    SetEpochs,
    SetNotions,
    SetParameter,
    SetPositive,
    SetProtected,
    SetRounds,
    SetTarget,
    SetTargetRule,
    SetTasks,
    SmallTalk,
    StartOver,
    SweepParameter,
    Train,
    Undo,
    UploadDataset,
)
from ._llm import LLMIntentParser, ParseResult, intent_tools
from ._param_rules import setting_words
from ._profile import info_from_profile
from ._reader import MAX_MESSAGE_CHARS, parse
from ._say import say, say_all
from ._setup import (
    ChatContext,
    DatasetInfo,
    RunInfo,
    Setup,
    SetupError,
    apply,
)

__all__ = [
    "ACTION_INTENTS",
    "MAX_MESSAGE_CHARS",
    "MAX_ROUNDS",
    "SETUP_INTENTS",
    "AddConstraint",
    "Ask",
    "Cancel",
    "ChatContext",
    "ChooseDataset",
    "ChooseLearner",
    "Clarify",
    "Compare",
    "DatasetInfo",
    "Define",
    "DropColumns",
    "Explain",
    "Export",
    "Help",
    "Intent",
    "KeepColumns",
    "LLMIntentParser",
    "ListRuns",
    "Move",
    "OpenRun",
    "ParseResult",
    "PointRule",
    "ResetParameters",
    "RunInfo",
    "SelectPoint",
    "SetEpochs",
    "SetNotions",
    "SetParameter",
    "SetPositive",
    "SetProtected",
    "SetRounds",
    "SetTarget",
    "SetTargetRule",
    "SetTasks",
    "Setup",
    "SetupError",
    "SmallTalk",
    "StartOver",
    "SweepParameter",
    "Train",
    "Undo",
    "UploadDataset",
    "apply",
    "check_intents",
    "define",
    "describe_setup",
    "info_from_profile",
    "intent_tools",
    "parse",
    "point_answer",
    "say",
    "say_all",
    "setting_words",
]
