"""Heading anchors as MkDocs gives them, and Obsidian's loose heading match.

MkDocs' default `toc` extension renders a heading's inline markdown to HTML,
strips the tags, unescapes entities and slugifies the text, adding `_1`,
`_2`... to repeated ids. `plain_text` reproduces that rendering for the inline
markdown found in headings (code spans, links, images, emphasis, escapes,
inline HTML, entities) without running a markdown parser; the tests compare
the result with Python-Markdown itself.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from kb.parse.note import Heading, ParsedNote

_CODE_SPAN = re.compile(r"(?<!\\)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+|[^>\s@]+@[^>\s@]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>|<!--.*?-->", re.DOTALL)
# Python-Markdown's escapable characters.
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()>#+\-.!])")
_UNDERSCORE_EMPHASIS = re.compile(r"(?<!\w)(__?)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_PLACEHOLDER = re.compile("\x02(\\d+)\x03")
_NOT_SLUG = re.compile(r"[^\w\s-]")
_SEPARATORS = re.compile(r"[-\s]+")
_IDCOUNT = re.compile(r"^(.*)_([0-9]+)$")
_LOOSE_DROP = re.compile(r"[\W_]+")


def plain_text(markdown: str) -> str:
    """The text of a heading's inline markdown once rendered and stripped of tags."""
    codes: list[str] = []

    def keep(match: re.Match[str]) -> str:
        content = match.group(2)
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        codes.append(content)
        return f"\x02{len(codes) - 1}\x03"

    text = _CODE_SPAN.sub(keep, markdown) if "`" in markdown else markdown
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: "&#%d;" % ord(m.group(1)), text)
    if "[" in text:
        text = _IMAGE.sub("", text)
        text = _LINK.sub(r"\1", text)
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
        text = _HTML_TAG.sub("", text)
    if "_" in text:
        text = _UNDERSCORE_EMPHASIS.sub(r"\2", text)
    if codes:
        text = _PLACEHOLDER.sub(lambda m: codes[int(m.group(1))], text)
    return " ".join(html.unescape(text).split())


def slugify(value: str, separator: str = "-") -> str:
    """Python-Markdown's `toc.slugify`: ASCII-folded, lower-case, dashes for spaces."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = _NOT_SLUG.sub("", value).strip().lower()
    return _SEPARATORS.sub(separator, value)


def unique_ids(slugs: Iterable[str]) -> list[str]:
    """Make ids unique within a page the way `toc.unique` does (`x`, `x_1`, `x_2`...).

    Like Python-Markdown, remember per base id how many suffixes are known to
    be taken, so a page repeating one heading n times costs O(n), not O(n^2).
    """
    used: set[str] = set()
    taken: dict[str, int] = {}          # base id -> n such that base_1 ... base_n are all used
    out = []
    for slug in slugs:
        if slug in used or not slug:
            m = _IDCOUNT.match(slug)
            base, count = (m.group(1), int(m.group(2))) if m else (slug, 0)
            known = taken.get(base, 0)
            skip = count <= known or slug == f"{base}_{known + 1}"
            if skip:
                count = max(count, known)
            count += 1
            while f"{base}_{count}" in used:
                count += 1
            slug = f"{base}_{count}"
            if skip:
                taken[base] = count
        used.add(slug)
        out.append(slug)
    return out


@lru_cache(maxsize=8192)
def heading_slug(text: str) -> str:
    """The id of a heading before de-duplication (cached: vaults repeat their section names)."""
    return slugify(plain_text(text))


def anchors(heading_texts: Iterable[str]) -> list[str]:
    """The ids MkDocs gives a page's headings, in order."""
    return unique_ids(heading_slug(text) for text in heading_texts)


@lru_cache(maxsize=8192)    # links name the same headings again and again
def loose_key(text: str) -> str:
    """What Obsidian compares when a link names a heading: letters and digits, case folded."""
    return _LOOSE_DROP.sub("", text.casefold())


@lru_cache(maxsize=8192)    # vaults repeat their section names from note to note
def _loose_keys(heading_text: str) -> tuple[str, str]:
    """The loose keys a heading answers to: of its text as written, and as rendered."""
    return loose_key(heading_text), loose_key(plain_text(heading_text))


def heading_matches(link_heading: str, heading: Heading) -> bool:
    """Whether the heading part of a link (`[[Note#...]]`) names `heading`.

    The comparison is loose, as in Obsidian: case, spacing and symbols such as
    `$ \\ ^ { } : #` do not matter, so `Estimator of $ sigma {2}$` names
    `Estimator of $\\sigma^{2}$:`. For nested headings (`H1#H2`) the last part
    names the heading. The heading's anchor is accepted too.
    """
    wanted = link_heading.rsplit("#", 1)[-1].strip()
    if not wanted:
        return False
    if wanted == heading.anchor:
        return True
    key = loose_key(wanted)
    if key:
        return key in _loose_keys(heading.text)
    return wanted == heading.text.strip()


def find_heading(note: ParsedNote, link_heading: str) -> Heading | None:
    """The heading of `note` a link's heading part names, or None.

    For nested headings (`H1#H2#H3`) a match under the named ancestors is
    preferred; otherwise the first heading matching the last part wins.
    """
    parts = [p for p in (part.strip() for part in link_heading.split("#")) if p]
    if not parts:
        return None
    candidates = [h for h in note.headings if heading_matches(parts[-1], h)]
    if len(candidates) <= 1 or len(parts) == 1:
        return candidates[0] if candidates else None
    ancestors = parts[:-1]
    for candidate in candidates:
        # walk upwards from the candidate, consuming ancestors from the innermost
        wanted = list(ancestors)
        level = candidate.level
        for h in reversed([h for h in note.headings if h.line < candidate.line]):
            if not wanted:
                break
            if h.level < level:
                level = h.level
                if heading_matches(wanted[-1], h):
                    wanted.pop()
        if not wanted:
            return candidate
    return candidates[0]
