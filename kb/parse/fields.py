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
_CLOSER = {"[": "]", "(": ")"}


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
    for m in _INLINE_OPEN.finditer(text):
        opener = text[m.start()]
        closer = _CLOSER[opener]
        depth = 0
        end = -1
        for pos in range(m.end(), len(text)):
            ch = text[pos]
            if ch == opener:
                depth += 1
            elif ch == closer:
                if depth == 0:
                    end = pos
                    break
                depth -= 1
        if end < 0 or any(a <= m.start() < b for a, b, _ in spans):
            continue
        raw_key = m.group(1).strip()
        key = normalise_key(raw_key)
        if not key:
            continue
        fields.append(Field(key=key, raw_key=raw_key, value=source[m.end():end].strip(), line=line))
        spans.append((m.end(), end, key))
    if fields:
        return fields, spans
    m = _FULL_LINE.match(text)
    if m is not None:
        raw_key = m.group("key").strip()
        key = normalise_key(raw_key)
        if key:
            fields.append(Field(key=key, raw_key=raw_key, value=source[m.start("value"):].strip(), line=line))
            spans.append((m.start("value"), len(text), key))
    return fields, spans
