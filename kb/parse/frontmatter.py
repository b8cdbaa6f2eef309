"""YAML frontmatter: the block between a first line `---` and the next `---` or `...`.

Read with `yaml.safe_load` semantics: plain frontmatter by a small exact
reader (tested against `yaml.safe_load`), anything else by libyaml's safe
loader (the pure-Python one when libyaml is missing). A
frontmatter that is not valid YAML, or not a mapping, yields a diagnostic at
the offending line and an empty mapping; the body is parsed all the same.
Repeated keys are reported (YAML keeps the last value; so does kb).

Obsidian's properties kb understands: `aliases` / `alias` (a list, a flow
list, a plain string or empty), `tags` / `tag` (a list, or a string of names
separated by spaces or commas), and wikilinks in any value: quoted
(`up: "[[AlexNet]]"`), in lists, or unquoted in a flow list, which YAML reads
as nested lists (`refs: [[[A (film)]], B]`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from sys import intern
from typing import Any

import yaml

from kb.diagnostics import Diagnostic
from kb.parse.links import WIKILINK, _wikilink
from kb.parse.note import Link, Tag
from kb.parse.tags import frontmatter_tags
from kb.parse.yaml_load import load_yaml

# A `key:` at the start of a line (any indentation): used to find the line of
# each top-level key and, cheaply, whether any key may be repeated.
_KEY_LINE = re.compile(r"""( *)("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\s#:'"?\-|>&*!%@`{\[][^:\n]*?|-[^\s:][^:\n]*?)[ \t]*:(?:[ \t]|$)""")
_CLOSERS = ("---", "...")

# The plain YAML most notes use (`key: word`, `key: [a, "b"]`, `key:` + `- item`
# lines, whole numbers, quoted strings without escapes) is read by
# `_simple_yaml` without libyaml: building a loader costs more than the rest
# of a note. Anything else (or anything YAML might type differently, such as
# `yes`, `012`, dates) goes to the real loader.
_SIMPLE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$")
_SIMPLE_ITEM = re.compile(r"( *)- +(.+)$")
_PLAIN_WORDS = re.compile(r"[^\W\d_][\w .,/()+'&-]*")
_FLOW_ITEM = re.compile(r""" *(?:"([^"\\\n]*)"|'([^'\n]*)'|([^\s,\[\]{}"'#:][^,\[\]{}"'#:]*?)) *(?:,|$)""")
_TYPED_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"})
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


@dataclass(slots=True)
class Frontmatter:
    data: dict[str, Any] = field(default_factory=dict)
    end: int = 0                    # 1-based line of the closing `---`, 0 when there is no frontmatter
    lines: dict[str, int] = field(default_factory=dict)     # top-level key -> 1-based file line
    aliases: tuple[str, ...] = ()
    tags: list[Tag] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def closing_line(lines: list[str]) -> int:
    """0-based index of the line closing the frontmatter, or 0 when the note has none."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    for index in range(1, len(lines)):
        line = lines[index]
        if line[:3] in _CLOSERS and line.rstrip() in _CLOSERS:
            return index
    return 0


def read_frontmatter(lines: list[str], path: str) -> Frontmatter:
    """Read the frontmatter of a note given as lines (no terminators)."""
    close = closing_line(lines)
    if not close:
        return Frontmatter()
    result = Frontmatter(end=close + 1)
    source = lines[1:close]
    text = "\n".join(source)
    if not text.strip():
        return result
    # The fast reader refuses repeated and nested keys, so only what it leaves
    # to libyaml needs the key scan (and, when a key may repeat, the slower loader).
    simple = _simple_yaml(source, text)
    data: Any                   # whatever YAML holds: checked to be a mapping below
    try:
        if simple is not None:
            data, key_lines = simple
            repeated: list[tuple[str, int]] = []
        else:
            key_lines, may_repeat = _scan_keys(source)
            data, repeated = load_yaml(text, may_repeat)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        what = " ".join(str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part)
        result.diagnostics.append(Diagnostic(
            path, line, f"frontmatter is not valid YAML ({what or exc}); expected `key: value` lines. "
            "The note is read without its frontmatter", "yaml"))
        return result
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # libyaml parsed it, but a value cannot be built (e.g. the date 2023-02-30)
        result.diagnostics.append(Diagnostic(
            path, 2, f"frontmatter value cannot be read ({exc}); the note is read without its frontmatter", "yaml"))
        return result
    if data is None:
        return result
    if not isinstance(data, dict):
        result.diagnostics.append(Diagnostic(
            path, 2, f"frontmatter should be a mapping of `key: value` lines, found a {_kind(data)}; "
            "the note is read without its frontmatter", "yaml"))
        return result
    for key, line in repeated:
        result.diagnostics.append(Diagnostic(
            path, line + 2, f"frontmatter key {key!r} is repeated; expected each key once (the last value is kept)",
            "yaml"))
    result.data = data
    result.lines = key_lines
    result.aliases = _aliases(data)
    for name in ("tags", "tag"):
        if name in data:
            result.tags.extend(frontmatter_tags(data[name], key_lines.get(name, 2)))
    result.links = _links(data, source, key_lines)
    return result


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "plain string"
    return type(value).__name__


def _simple_scalar(value: str, flow: bool = False) -> object:
    """The value of a plain or quoted scalar, or `_Unsure` when only a real YAML loader can tell."""
    first = value[0]
    if first == '"':
        return value[1:-1] if len(value) > 1 and value[-1] == '"' and '"' not in value[1:-1] and "\\" not in value \
            else _Unsure
    if first == "'":
        return value[1:-1] if len(value) > 1 and value[-1] == "'" and "'" not in value[1:-1] else _Unsure
    if value.isdigit():
        return int(value) if value == "0" or (value[0] != "0" and value.isascii()) else _Unsure
    if _PLAIN_WORDS.fullmatch(value) and value.lower() not in _TYPED_WORDS and not (flow and "," in value):
        return value
    return _Unsure


class _Unsure:
    """Marks a scalar the fast reader leaves to libyaml."""


def _simple_yaml(source: list[str], text: str) -> tuple[dict, dict[str, int]] | None:
    """Read the common subset of frontmatter YAML, or None to defer to libyaml.

    Gives exactly what `yaml.safe_load` gives for the lines it accepts (the
    tests compare the two on generated frontmatter), and the 1-based file
    line of each key (`source` starts on the file's second line).
    """
    if "\t" in text or _NOT_PRINTABLE.search(text):
        return None
    data: dict = {}
    key_lines: dict[str, int] = {}
    open_key: str | None = None         # a `key:` with no value, maybe followed by `- item` lines
    items: list = []
    indent = -1
    number = 1
    for raw in source:
        number += 1
        line = raw.rstrip(" ")
        if not line:
            continue
        first = line[0]
        if first == " " or first == "#" or first == "-":
            if line.lstrip(" ")[:1] == "#":
                continue
            if open_key is None:
                return None
            item = _SIMPLE_ITEM.match(line)
            if item is None:
                return None
            if indent < 0:
                indent = len(item.group(1))
            value = _simple_scalar(item.group(2))
            if len(item.group(1)) != indent or value is _Unsure:
                return None
            items.append(value)
            continue
        if open_key is not None:
            data[open_key] = items or None
            open_key = None
        m = _SIMPLE_KEY.match(line)
        if m is None:
            return None
        key, value_text = m.groups()
        key = intern(key)               # notes repeat their keys: one string for all
        if key in data or key == open_key or key.lower() in _TYPED_WORDS:
            return None
        key_lines[key] = number
        if value_text is None:
            open_key, items, indent = key, [], -1
            continue
        if value_text[0] == "[":
            value = _flow_items(value_text[1:-1]) if value_text[-1] == "]" else None
            if value is None:
                return None
        else:
            value = _simple_scalar(value_text)
            if value is _Unsure:
                return None
        data[key] = value
    if open_key is not None:
        data[open_key] = items or None
    return data, key_lines


_FLOW_SPECIAL = re.compile(r"""["'\[\]{}#:]""")


def _flow_items(inner: str) -> list | None:
    if not inner.strip(" "):
        return []
    if _FLOW_SPECIAL.search(inner) is None:
        # plain items only (no quotes or brackets): what `_FLOW_ITEM` reads, by splitting
        items = []
        for item in inner.split(","):
            item = item.strip(" ")
            if not item:
                return None     # an empty item or a trailing comma: leave it to libyaml
            value = _simple_scalar(item, flow=True)
            if value is _Unsure:
                return None
            items.append(value)
        return items
    items = []
    pos = 0
    while pos < len(inner):
        m = _FLOW_ITEM.match(inner, pos)
        if m is None or m.end() == pos:
            return None
        double, single, plain = m.groups()
        if plain is not None:
            value = _simple_scalar(plain.rstrip(" "), flow=True)
            if value is _Unsure:
                return None
        else:
            value = double if double is not None else single
        items.append(value)
        pos = m.end()
        if inner[pos - 1] == "," and not inner[pos:].strip(" "):
            return None         # a trailing comma: leave it to libyaml
    return items


def _scan_keys(source: list[str]) -> tuple[dict[str, int], bool]:
    """The 1-based file line of each top-level key, and whether some `key:` occurs
    twice at one indentation (a cheap hint that YAML may be dropping a value).

    A repeated key gets the line of its last occurrence, whose value YAML keeps.
    """
    lines: dict[str, int] = {}
    seen: set[tuple[int, str]] = set()
    repeats = False
    for index, line in enumerate(source):
        m = _KEY_LINE.match(line)
        if m is None:
            continue
        indent, key = m.group(1), m.group(2)
        ident = (len(indent), key)
        if ident in seen:
            repeats = True
        seen.add(ident)
        if not indent:
            if key[:1] in "\"'":
                key = key[1:-1]
            lines[key] = index + 2
    return lines, repeats


def _aliases(data: dict) -> tuple[str, ...]:
    names: list[str] = []
    for key in ("aliases", "alias"):
        value = data.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is None or isinstance(item, (list, dict, bool)):
                continue
            name = str(item).strip()
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _links(data: dict, source: list[str], key_lines: dict[str, int]) -> list[Link]:
    links: list[Link] = []
    starts: list[int] | None = None
    for key, value in data.items():
        if isinstance(value, str) and "[[" not in value or value is None or isinstance(value, (int, float)):
            continue
        found = _wikilinks_in(value)
        if not found:
            continue
        name = str(key)
        first = key_lines.get(name, 2)
        if starts is None:
            starts = sorted(key_lines.values())
        later = bisect_right(starts, first)
        last = (starts[later] if later < len(starts) else len(source) + 2) - 1
        cursor = first
        for inner, label in found:
            line = first
            for number in range(cursor, last + 1):
                if inner in source[number - 2]:
                    line = cursor = number
                    break
            link = _wikilink(inner, label, False, line, source[line - 2].strip(), "frontmatter", name)
            if link is not None:
                links.append(link)
    return links


def _wikilinks_in(value: object, seen: set[int] | None = None) -> list[tuple[str, str | None]]:
    """(target part, label) of every wikilink in a frontmatter value.

    YAML anchors can make a value share its lists (`b: [*a, *a]`); each list
    or mapping is read once, so a "billion laughs" frontmatter stays cheap.
    """
    found: list[tuple[str, str | None]] = []
    if isinstance(value, str):
        if "[[" in value:
            found.extend((m[1], m[2]) for m in WIKILINK.finditer(value))
        return found
    if not isinstance(value, (list, dict)):
        return found
    seen = set() if seen is None else seen
    if id(value) in seen:
        return found
    seen.add(id(value))
    if isinstance(value, dict):
        for item in value.values():
            found.extend(_wikilinks_in(item, seen))
    # `[[Name]]` left unquoted in a flow list reads as a list holding a list holding "Name"
    elif len(value) == 1 and isinstance(value[0], list) and len(value[0]) == 1 and isinstance(value[0][0], str):
        target, _, label = value[0][0].partition("|")
        found.append((target, label or None))
    else:
        for item in value:
            if isinstance(item, str):       # most lists hold strings: read them here
                if "[[" in item:
                    found.extend((m[1], m[2]) for m in WIKILINK.finditer(item))
            elif isinstance(item, (list, dict)):
                found.extend(_wikilinks_in(item, seen))
    return found
