"""Dataview inline fields: `key:: value` lines and `[key:: value]` / `(key:: value)` in a sentence.

Keys are normalised as Dataview does: formatting stripped, lower-cased,
spaces to `-` (`**Bold Key**:: Nice!` has the key `bold-key`). The value of a
bracketed field runs to the matching bracket, so `[key:: [value]]` has the
value `[value]`. `[key:value]` (one colon) is not a field.
"""

from __future__ import annotations

import re

from kb.parse.note import Field

_INLINE_OPEN = re.compile(r"[\[(]([^\[\]()\n:]+?)::")
_FULL_LINE = re.compile(
    r"\s*(?:>\s*)*(?:(?:[-*+]|\d{1,9}[.)])\s+(?:\[.\]\s+)?)?"
    r"(?P<key>[^\s:\[\](){}#>|][^:\[\](){}|]*?)\s*::(?P<value>.*)$"
)
_FORMATTING = re.compile(r"[*_~`]")
_NOT_KEY = re.compile(r"[^\w\s/-]")
_SPACES = re.compile(r"\s+")


def _matching_brackets(text: str) -> dict[int, int]:
    """Position of each `[` / `(` -> position of its closing bracket (same kind, nesting counted)."""
    pairs: dict[int, int] = {}
    open_square: list[int] = []
    open_round: list[int] = []
    for pos, ch in enumerate(text):
        if ch == "[":
            open_square.append(pos)
        elif ch == "(":
            open_round.append(pos)
        elif ch == "]" and open_square:
            pairs[open_square.pop()] = pos
        elif ch == ")" and open_round:
            pairs[open_round.pop()] = pos
    return pairs


def normalise_key(raw: str) -> str:
    key = _FORMATTING.sub("", raw)
    key = _NOT_KEY.sub("", key).strip().lower()
    return _SPACES.sub("-", key)


def find_fields(text: str, line: int, source: str | None = None) -> tuple[list[Field], list[tuple[int, int, str]]]:
    """Fields in one line of code-free text, and the (start, end, key) span of each value.

    `text` has its code spans blanked out; values are read from `source`, the
    line as written (same length), so a value keeps its inline code.
    """
    source = text if source is None else source
    fields: list[Field] = []
    spans: list[tuple[int, int, str]] = []
    if "[" in text or "(" in text:
        closers: dict[int, int] | None = None
        consumed = 0                    # a field inside another field's value is part of that value
        for m in _INLINE_OPEN.finditer(text):
            if m.start() < consumed:
                continue
            if closers is None:
                closers = _matching_brackets(text)
            end = closers.get(m.start(), -1)
            if end < 0:
                continue
            raw_key = m.group(1).strip()
            key = normalise_key(raw_key)
            if not key:
                continue
            fields.append(Field(key=key, raw_key=raw_key, value=source[m.end():end].strip(), line=line))
            spans.append((m.end(), end, key))
            consumed = end
    if fields:
        return fields, spans
    whole = _FULL_LINE.match(text)
    if whole is not None:
        raw_key = whole.group("key").strip()
        key = normalise_key(raw_key)
        if key:
            fields.append(Field(key=key, raw_key=raw_key, value=source[whole.start("value"):].strip(), line=line))
            spans.append((whole.start("value"), len(text), key))
    return fields, spans
