"""Links as written: Obsidian wikilinks and embeds, markdown links to notes.

The functions here read one line of text whose code spans are already blanked
out (see `kb.parse.scan`); they never see code.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from sys import intern
from operator import itemgetter
from urllib.parse import unquote

from kb.parse.note import Link, LinkSyntax

# `[[target|label]]`: the target holds no brackets or pipe; the label may hold
# balanced single brackets (`[[Git Flow|Title [with] square [brackets]]]`).
# (The label pattern is an unrolled loop: linear time, and several times faster.)
WIKILINK = re.compile(r"\[\[([^\[\]|\n]*)(?:\|([^\[\]\n]*(?:\[[^\[\]\n]*\][^\[\]\n]*)*))?\]\]")
# `[label](path.md#fragment "title")`, destination bare or in angle brackets; a
# `!` before it (an embed) is looked at apart, so the pattern starts with a literal.
_MARKDOWN_LINK = re.compile(
    r"\[([^\[\]\n]*(?:\[[^\[\]\n]*\][^\[\]\n]*)*)\]\(\s*(<[^<>\n]*>|[^\s()<>]+)(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SIZE = re.compile(r"\d+(?:x\d+)?")
_START = itemgetter(0)
_AFTER_ANY_END = 1 << 62                 # (position, this) sorts after every span starting at position


def wikilink(inner: str, label: str | None, *, embed: bool, line: int, context: str,
             syntax: LinkSyntax = "wikilink", key: str | None = None) -> Link | None:
    """Build the Link for `[[inner|label]]`, or None when it names nothing."""
    return _wikilink(inner, label, embed, line, context, syntax, key)


def _wikilink(inner: str, label: str | None, embed: bool, line: int, context: str,
              syntax: LinkSyntax, key: str | None) -> Link | None:
    heading = block = None
    if "#" not in inner and "\\" not in inner:
        name = inner.strip()            # the common `[[Target]]` and `[[Target|label]]`
        if name[-3:].lower() == ".md":
            name = name[:-3].rstrip()
        if not name:
            return None
    else:
        if inner.endswith("\\"):        # `[[T\|label]]`: the pipe was escaped for a table
            inner = inner[:-1]
        name, *fragments = inner.split("#")
        name = name.strip()
        if name[-3:].lower() == ".md":
            name = name[:-3].rstrip()
        parts = [p for p in (f.strip() for f in fragments) if p]
        block = parts.pop()[1:].strip() or None if parts and parts[-1].startswith("^") else None
        heading = intern("#".join(parts)) if parts else None     # notes link to the same sections
        if not name and heading is None and block is None:
            return None
    size = None
    if label is not None:
        label = label.rstrip("|").strip() or None     # `[[T|label|]]`: a trailing empty pipe adds nothing
        if embed and label is not None and _SIZE.fullmatch(label):
            size, label = label, None
    return Link(intern(name), line, label, heading, block, embed, syntax, size, key, context)


def _markdown_link(match: re.Match[str], embed: bool, line: int, context: str, key: str | None) -> Link | None:
    label, href = match.groups()
    if href.startswith("<"):
        href = href[1:-1].strip()
    if _URL_SCHEME.match(href) or href.startswith("//"):
        return None
    path, _, fragment = href.partition("#")
    path = unquote(path)
    if path[-3:].lower() != ".md":
        return None
    fragment = unquote(fragment).strip()
    block = fragment[1:] or None if fragment.startswith("^") else None
    heading = None if block is not None or not fragment else fragment
    return Link(path[:-3], line, label.strip() or None, heading, block, embed, "markdown", None, key, context)


def find_links(text: str, line: int, context: str,
               keyed: list[tuple[int, int, str]] | None = None) -> list[Link]:
    """Links in one line of code-free text, in order of position.

    `keyed` lists (start, end, key) spans of inline-field values: a link
    inside one carries that field's key.
    """
    return [link for _, _, link in locate_links(text, line, context, keyed)]


def locate_links(text: str, line: int, context: str,
                 keyed: list[tuple[int, int, str]] | None = None) -> list[tuple[int, int, Link]]:
    """Like `find_links`, with the (start, end) column span of each link."""
    found: list[tuple[int, int, Link]] = []
    if "[[" in text:
        for m in WIKILINK.finditer(text):
            start = m.start()
            inner, label = m.groups()
            embed = start > 0 and text[start - 1] == "!"
            key = _key_at(keyed, start) if keyed else None
            if label is None and "#" not in inner and "\\" not in inner:
                name = inner.strip()            # the common `[[Target]]`, as `_wikilink` would read it
                if name[-3:].lower() == ".md":
                    name = name[:-3].rstrip()
                if not name:
                    continue
                found.append((start - embed, m.end(),
                              Link(intern(name), line, None, None, None, embed, "wikilink", None, key, context)))
            else:
                link = _wikilink(inner, label, embed, line, context, "wikilink", key)
                if link is not None:
                    found.append((start - embed, m.end(), link))
    if "](" in text:
        for m in _MARKDOWN_LINK.finditer(text):
            start = m.start()
            embed = start > 0 and text[start - 1] == "!"
            start -= embed
            if start and text[start - 1] == "[":     # the tail of a wikilink, not a markdown link
                continue
            marked = _markdown_link(m, embed, line, context, _key_at(keyed, start) if keyed else None)
            if marked is not None:
                found.append((start, m.end(), marked))
        found.sort(key=_START)
    return found


def _key_at(keyed: list[tuple[int, int, str]], position: int) -> str | None:
    """The key of the field value holding `position` (`keyed` is sorted and non-overlapping)."""
    k = bisect_right(keyed, (position, _AFTER_ANY_END)) - 1
    if k >= 0 and keyed[k][0] <= position < keyed[k][1]:
        return keyed[k][2]
    return None
