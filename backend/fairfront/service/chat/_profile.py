"""What the chat knows about an uploaded CSV, read from its dataset profile.

The profile (``service/services/datasets.py``; i11's ``datasets/_profile.py`` adds
column ``flags``, ``excluded``, ``target_suggestions`` with a ``positive_question``
when the positive class is ambiguous) is read defensively: every key may be absent,
and a value of the wrong type is ignored rather than trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._intents import NAME_MAX
from ._setup import DatasetInfo

__all__ = ["info_from_profile"]

_MAX_VALUES = 50


def _strings(value: Any, limit: int = 2000) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v)[:NAME_MAX] for v in value[:limit] if isinstance(v, str | int | float)]


def _excluded(profile: Mapping[str, Any], columns: list[Mapping[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    raw = profile.get("excluded")
    entries = (
        raw.items()
        if isinstance(raw, Mapping)
        else (
            ((e.get("column"), e.get("reason")) for e in raw if isinstance(e, Mapping))
            if isinstance(raw, list)
            else ()
        )
    )
    for column, reason in entries:
        if isinstance(column, str):
            out[column[:NAME_MAX]] = [str(reason)[:40]] if reason else []
    for entry in columns:
        flags = _strings(entry.get("flags"), 10)
        name = entry.get("name")
        if isinstance(name, str) and name in out and flags:
            out[name] = [f[:40] for f in flags]
    return out


def _protected(profile: Mapping[str, Any]) -> list[str]:
    """The default protected attributes with their groups ("age:25,60"): the profile's
    short form, else its suggestions marked default, else all its suggestions."""
    chosen = _strings(profile.get("suggested_protected"), 50)
    if chosen:
        return chosen
    suggestions = [s for s in profile.get("protected_suggestions") or [] if isinstance(s, Mapping)]
    default = [s for s in suggestions if s.get("default")] or suggestions
    return [str(s["spec"])[:NAME_MAX] for s in default if isinstance(s.get("spec"), str)][:50]


def info_from_profile(profile: Mapping[str, Any]) -> DatasetInfo:
    """The :class:`DatasetInfo` of an uploaded dataset from its profile."""
    columns = [c for c in profile.get("columns") or [] if isinstance(c, Mapping)]
    names = [str(c.get("name"))[:NAME_MAX] for c in columns if c.get("name") is not None]
    target = (
        profile.get("target")
        or profile.get("suggested_target")
        or (names[-1] if names else "target")
    )
    values = {
        str(c["name"])[:NAME_MAX]: _strings(c.get("values"), _MAX_VALUES)
        for c in columns
        if c.get("name") is not None and c.get("values")
    }
    suggestion = next(
        (
            s
            for s in profile.get("target_suggestions") or []
            if isinstance(s, Mapping) and s.get("column") == target
        ),
        {},
    )
    positive = profile.get("positive") or suggestion.get("positive")
    question = suggestion.get("positive_question") if positive is None else None
    if positive is None:
        target_values = values.get(str(target)) or ["1"]
        positive = target_values[-1] if question is None else target_values[0]
    return DatasetInfo(
        columns=names,
        target=str(target)[:NAME_MAX],
        positive=str(positive)[:NAME_MAX],
        protected=_protected(profile),
        builtin=False,
        numeric=[n for c, n in zip(columns, names, strict=False) if c.get("kind") == "numeric"],
        values=values,
        excluded=_excluded(profile, columns),
        positive_question=str(question)[:1000] if question else None,
    )
