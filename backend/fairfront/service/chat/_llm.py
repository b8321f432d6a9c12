"""Chat messages to intents by an OpenAI-compatible model's function calls.

The tools are generated from the intent models' JSON schemas, one per ``kind``; the
model's arguments are validated by the same pydantic models and then checked against
the session's context like the deterministic parser's own results
(:func:`~fairfront.service.chat.check_intents`). No tool call, a call to an
unknown tool, unreadable or invalid arguments, an error or a timeout: the
deterministic parser's result is used instead. The message and the context reach the
prompt only inside a quoted data block.
"""

from __future__ import annotations

import copy
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from fairfront.service.explain import render_prompt
from fairfront.service.llm import bounded_completion
from fairfront.vocabulary import NOTIONS, PARAMETERS

from ._intent_checks import check_intents
from ._intents import MAX_ROUNDS, MAX_SETTINGS, Intent
from ._reader import MAX_MESSAGE_CHARS, parse
from ._setup import ChatContext

__all__ = ["LLMIntentParser", "ParseResult", "intent_tools"]

logger = logging.getLogger(__name__)

MAX_CLAUSES = 30
"""Most function calls one answer may make."""
MAX_ARGUMENT_CHARS = 10_000
"""Longest tool-call arguments read."""

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Intent)
_MODELS: dict[str, type[BaseModel]] = {
    model.model_fields["kind"].default: model for model in get_args(get_args(Intent)[0])
}


class ParseResult(BaseModel):
    """Intents and who produced them (``reason``: why the LLM's were not used)."""

    intents: list[Intent]
    source: Literal["llm", "deterministic"]
    reason: str | None = None


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``$ref``s to its ``$defs`` replaced by the definitions, titles dropped."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                return walk(copy.deepcopy(defs[name]))
            return {k: walk(v) for k, v in node.items() if k not in ("$defs", "title")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


@lru_cache(maxsize=1)
def _tools() -> tuple[str, ...]:
    tools = []
    for kind, model in _MODELS.items():
        schema = _inline(model.model_json_schema())
        schema["properties"].pop("kind", None)
        if "required" in schema:
            schema["required"] = [r for r in schema["required"] if r != "kind"]
        description = (model.__doc__ or kind).strip().split("\n\n")[0]
        tools.append(
            json.dumps(
                {
                    "type": "function",
                    "function": {"name": kind, "description": description, "parameters": schema},
                }
            )
        )
    return tuple(tools)


def intent_tools() -> list[dict[str, Any]]:
    """The OpenAI ``tools`` list: one function per intent kind (fresh copies)."""
    return [json.loads(t) for t in _tools()]


class _Fallback(Exception):
    """The model's answer cannot be used; the message says why."""


class LLMIntentParser:
    """Parses chat messages with a model's function calls; the deterministic parser backs it.

    ``client`` is an ``openai.OpenAI`` (any OpenAI-compatible server); ``timeout`` is
    in seconds per request and ``max_retries`` the client's retries.
    """

    def __init__(
        self,
        client: Any,
        model: str,
        timeout: float = 10.0,
        max_retries: int = 1,
        *,
        prompts_dir: Path | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.prompts_dir = prompts_dir

    def messages(self, message: str, context: ChatContext) -> list[dict[str, str]]:
        """The chat messages sent for ``message``."""
        request = {"message": message, "context": context.model_dump(mode="json")}
        return [
            {
                "role": "system",
                "content": render_prompt(
                    "chat_system.j2",
                    self.prompts_dir,
                    max_rounds=MAX_ROUNDS,
                    max_settings=MAX_SETTINGS,
                    parameters=[
                        {"name": p.name, "label": p.label, "aliases": list(p.aliases)}
                        for p in PARAMETERS.values()
                    ],
                    notions=[
                        {"name": n.name, "short": n.short or n.label, "aliases": list(n.aliases)}
                        for n in NOTIONS.values()
                    ],
                ),
            },
            {
                "role": "user",
                "content": render_prompt("chat_user.j2", self.prompts_dir, request=request),
            },
        ]

    def parse(self, message: str, context: ChatContext) -> list[Intent]:
        """The intents ``message`` asks for (see :meth:`parse_with_source`)."""
        return self.parse_with_source(message, context).intents

    def parse_with_source(self, message: str, context: ChatContext) -> ParseResult:
        """The model's intents, checked; the deterministic parser's when they are unusable."""
        if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
            return ParseResult(
                intents=parse(message, context), source="deterministic", reason="message too long"
            )
        try:
            intents = self._ask(message, context)
        except _Fallback as why:
            logger.info("LLM parse not used: %s", why)
            return ParseResult(
                intents=parse(message, context), source="deterministic", reason=str(why)
            )
        return ParseResult(intents=check_intents(intents, context), source="llm")

    def _ask(self, message: str, context: ChatContext) -> list[Intent]:
        messages = self.messages(message, context)
        try:
            response = bounded_completion(  # within the turn's deadline, in the LLM pool
                self.client,
                timeout=self.timeout,
                retries=self.max_retries,
                model=self.model,
                messages=messages,
                tools=intent_tools(),
                tool_choice="auto",
                temperature=0,
            )
            calls = response.choices[0].message.tool_calls or []
        except Exception as error:  # any failure of the call: the deterministic parse
            status = getattr(error, "status_code", None)
            http = f", HTTP {status}" if status else ""
            raise _Fallback(f"the model call failed ({type(error).__name__}{http})") from error
        if not calls:
            raise _Fallback("the model made no function call")
        if len(calls) > MAX_CLAUSES:
            raise _Fallback(f"the model made {len(calls)} function calls")
        return [self._intent(call) for call in calls]

    @staticmethod
    def _intent(call: Any) -> Intent:
        function = getattr(call, "function", None)
        name = getattr(function, "name", None)
        arguments = getattr(function, "arguments", None) or "{}"
        if name not in _MODELS:
            raise _Fallback(f"the model called an unknown function {str(name)[:40]!r}")
        if not isinstance(arguments, str) or len(arguments) > MAX_ARGUMENT_CHARS:
            raise _Fallback(f"the arguments of {name} are too long")
        try:
            data = json.loads(arguments)
        except ValueError:
            raise _Fallback(f"the arguments of {name} are not JSON") from None
        if not isinstance(data, dict):
            raise _Fallback(f"the arguments of {name} are not an object")
        try:
            intent: Intent = _ADAPTER.validate_python({**data, "kind": name})
        except (ValidationError, ValueError) as error:
            raise _Fallback(
                f"the arguments of {name} are invalid ({error.__class__.__name__})"
            ) from None
        return intent
