"""Explanations by an OpenAI-compatible model, checked against the fact sheet.

Prompts are the templates under ``prompts/``, rendered by a sandboxed, strict jinja2
environment. Data (the fact sheet, a chat message, column names) reaches a prompt
only through the ``data_block`` filter: JSON with ``<``, ``>`` and ``&`` escaped,
between ``<data name="...">`` and ``</data>`` lines, so no value can close the block
or pass for an instruction. The answer is kept only when every number in it is one
of the fact sheet's; otherwise, and whenever the call fails, the built-in text is used.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from ..llm import LLMUnavailable, bounded_completion
from ._builtin import builtin_explanation
from ._facts import FactSheet
from ._numbers import check_claims, check_numbers
from ._safe_text import safe_markdown

__all__ = [
    "PROMPTS_DIR",
    "Explanation",
    "LLMExplainer",
    "data_block",
    "explain",
    "render_prompt",
]

logger = logging.getLogger(__name__)

PROMPTS_DIR = Path(str(resources.files("fairfront") / "prompts"))
"""The package's ``prompts/`` folder (the default template location), found with
:mod:`importlib.resources`: the same in a clone and in an installed wheel."""
MAX_ANSWER_CHARS = 6000
"""Longest explanation kept from a model."""


def data_block(value: Any, name: str = "data") -> str:
    """``value`` as a quoted data block: escaped JSON between ``<data>`` tags."""
    if not name.isidentifier():
        raise ValueError(f"data block name must be an identifier, got {name!r}")
    encoded = json.dumps(value, ensure_ascii=True, allow_nan=False, default=str)
    encoded = encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<data name="{name}">\n{encoded}\n</data>'


@lru_cache(maxsize=8)
def _environment(folder: str) -> SandboxedEnvironment:
    # Plain-text prompts, not HTML: autoescaping would mangle them. Data goes in
    # through the data_block filter (escaped JSON), never as raw template text.
    env = SandboxedEnvironment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["data_block"] = data_block
    return env


def render_prompt(name: str, prompts_dir: Path | None = None, **variables: Any) -> str:
    """Render the template ``prompts/<name>`` (a missing variable is an error)."""
    folder = Path(prompts_dir) if prompts_dir is not None else PROMPTS_DIR
    return _environment(str(folder)).get_template(name).render(**variables).strip()


class Explanation(BaseModel):
    """An explanation and where it came from (``reason``: why the LLM's was not used)."""

    text: str
    source: Literal["llm", "builtin"]
    reason: str | None = None


def _failure(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    return f"the model call failed ({type(error).__name__}{f', HTTP {status}' if status else ''})"


class LLMExplainer:
    """Explains a fact sheet with a chat model; falls back to the built-in text.

    ``client`` is an ``openai.OpenAI`` (any OpenAI-compatible server); ``timeout`` caps
    one try and ``max_retries`` the tries after the first, all within the current turn's
    deadline (:func:`fairfront.service.llm.current_deadline`). The kept text is made safe
    markdown (:func:`safe_markdown`: no HTML, no images, links only into the service).
    """

    def __init__(
        self,
        client: Any,
        model: str,
        timeout: float = 20.0,
        max_retries: int = 1,
        *,
        prompts_dir: Path | None = None,
        max_tokens: int | None = 700,
        temperature: float = 0.2,
    ) -> None:
        self.client = client
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.prompts_dir = prompts_dir
        self.max_tokens = max_tokens
        self.temperature = temperature

    def messages(self, facts: FactSheet) -> list[dict[str, str]]:
        """The chat messages sent for ``facts``."""
        variables = {"facts": facts.model_dump(mode="json")}
        return [
            {"role": "system", "content": render_prompt("explain_system.j2", self.prompts_dir)},
            {
                "role": "user",
                "content": render_prompt("explain_user.j2", self.prompts_dir, **variables),
            },
        ]

    def explain(self, facts: FactSheet) -> Explanation:
        """The model's explanation if every number in it is a fact; else the built-in one."""
        builtin = builtin_explanation(facts)
        messages = self.messages(facts)
        try:
            options: dict[str, Any] = {"temperature": self.temperature}
            if self.max_tokens is not None:
                options["max_tokens"] = self.max_tokens
            response = bounded_completion(
                self.client,
                timeout=self.timeout,
                retries=self.max_retries,
                model=self.model,
                messages=messages,
                **options,
            )
            text = (response.choices[0].message.content or "").strip()
        except LLMUnavailable as why:  # busy or out of time: the built-in text, at once
            logger.info("explanation by %s not used: %s", self.model, why)
            return Explanation(text=builtin, source="builtin", reason=str(why))
        except Exception as error:  # any failure of the call falls back; never raise
            logger.warning("explanation by %s failed: %r", self.model, error)
            return Explanation(text=builtin, source="builtin", reason=_failure(error))
        if not text:
            return Explanation(text=builtin, source="builtin", reason="the model gave no text")
        if len(text) > MAX_ANSWER_CHARS:
            return Explanation(
                text=builtin, source="builtin", reason="the model's answer was too long"
            )
        invented = check_numbers(text, facts)
        if invented:
            logger.info("explanation by %s used numbers not in the facts: %s", self.model, invented)
            return Explanation(
                text=builtin,
                source="builtin",
                reason="the model's answer used numbers not in the fact sheet: "
                + ", ".join(invented[:5]),
            )
        claims = check_claims(text, facts)
        if claims:
            logger.info("explanation by %s made unsupported claims: %s", self.model, claims)
            return Explanation(
                text=builtin,
                source="builtin",
                reason="the model's answer made claims about the constraints that the fact "
                "sheet does not support: " + "; ".join(repr(c) for c in claims[:3]),
            )
        return Explanation(text=safe_markdown(text), source="llm")


def _builtin_or_minimal(facts: FactSheet) -> str:
    try:
        return builtin_explanation(facts)
    except Exception:  # a fact sheet the text cannot handle: say the least
        logger.exception("built-in explanation failed")
        return f"Round {facts.point.round} of the {facts.learner_label} model on {facts.dataset}."


def explain(facts: FactSheet, llm: LLMExplainer | None = None) -> Explanation:
    """Explain ``facts``: by ``llm`` when given (checked), else built in. Never raises."""
    if llm is not None:
        try:
            return llm.explain(facts)
        except Exception as error:  # e.g. a broken template: still answer
            logger.exception("LLM explainer failed")
            reason = f"the explainer failed ({type(error).__name__})"
            return Explanation(text=_builtin_or_minimal(facts), source="builtin", reason=reason)
    return Explanation(text=_builtin_or_minimal(facts), source="builtin")
