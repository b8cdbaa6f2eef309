"""Tags: inline `#tag` / `#area/ml` and the frontmatter `tags:` / `tag:` values.

kb's rule for inline tags (Obsidian's, made precise): a tag starts a line or
follows whitespace; it is made of letters, digits, `_`, `-` and `/` and holds at
least one letter or `_` (`#1984` and `#2023-01` are not tags, `#y1984` is). Names are lower-cased:
`#ML` and `#ml` are one tag. So `\\#escaped`, `(#y1985 )`, `page.html#part`
and `# Heading` are not tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from sys import intern

from kb.parse.note import Tag

# `#` first, then the look-behind (a `#` at the start of the line or after
# whitespace): a pattern that starts with a literal is searched for quickly.
_INLINE_TAG = re.compile(r"#(?<!\S#)([\w/-]+)")
_HAS_WORD = re.compile(r"[^\W\d]|_")
_SPLIT = re.compile(r"[\s,]+")


def valid_tag(name: str) -> bool:
    """At least one letter or `_`: Obsidian rejects all-digit names; kb also rejects dates and dashes."""
    return bool(name) and _HAS_WORD.search(name) is not None


def find_tags(text: str, line: int) -> list[Tag]:
    """Inline tags in one line of code-free text."""
    head = text.lstrip(" \t")
    if head[:1] == "#":
        marks = head.lstrip("#")
        if (not marks or marks[0] in " \t") and "#" not in marks:
            return []           # an ATX heading's `#` run, and no other `#`: nothing can be a tag
    return [Tag(intern(name.lower()), line) for name in _INLINE_TAG.findall(text) if _HAS_WORD.search(name) is not None]


def frontmatter_tags(value: object, line: int) -> list[Tag]:
    """Tags from a frontmatter `tags:`/`tag:` value: a list, or a string of names separated by spaces or commas."""
    if value is None:
        return []
    items: Iterable[object] = value if isinstance(value, list) else [value]
    tags = []
    for item in items:
        if isinstance(item, (list, dict)) or item is None or isinstance(item, bool):
            continue
        text = str(item)
        # a printable name without spaces or commas is one name (no other whitespace is printable)
        names = (text,) if text.isprintable() and " " not in text and "," not in text else _SPLIT.split(text)
        for name in names:
            name = name.lstrip("#")
            if valid_tag(name):
                tags.append(Tag(intern(name.lower()), line))
    return tags
