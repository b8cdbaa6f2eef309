"""Link resolution: which note or file each written link points to, and why not when it does not.

kb follows Obsidian's rules, and says so whenever a link only works by a rule
a reader might not expect:

* Note names match case-insensitively (`[[embed files]]` finds `Embed Files.md`);
  an exact-case match is status "ok", a match only ignoring case is "case".
* A target with a slash is a path from the vault root or any tail of one:
  `[[AI/ML/README]]` and `[[ML/README]]` both find `AI/ML/README.md`.
  `[[Note.md]]` is the note `Note` (the parser strips the suffix).
* Beyond Obsidian, a frontmatter alias is a valid target: status "alias"
  (Obsidian itself does not follow such a link; it only offers the alias when
  a link is typed).
* A target with a file extension (`image.png`, `paper.pdf`, `Board.canvas`)
  is looked up among the vault's non-markdown files first: status "file".
* `[[#Heading]]` is a link into the linking note itself: status "self".
* Names are compared in Unicode NFC, so `Naïve Bayes.md` stored decomposed
  (as macOS writes it) still matches `[[Naïve Bayes]]`.

Duplicate names.  When several notes match, the link is "ambiguous" and
`candidates` lists them all, best first, by this tie-break:

1. a note in the same folder as the linking note;
2. then the note with the fewest folders in its path (closest to the root);
3. then the path in case-insensitive alphabetical order.

The link is still followed to the first candidate (Obsidian does the same:
the link works, but it may not be the note the writer meant).

Not followed (target None, so the graph gets a node of kind "missing"):

* "missing": no note, alias or file of that name.
* "path-elsewhere": `[[folder/X]]` where a note X exists, but not under that
  path; the reason names where it is.
* "punctuation": the name matches a note or alias only when spaces,
  hyphens and punctuation are ignored (`[[Resnet 50]]` vs `ResNet-50`);
  Obsidian would create a new note, so kb reports the near miss instead of
  guessing.

A heading that does not exist in the target note (compared loosely, as
Obsidian does: case, spaces and symbols aside) keeps the link's status but sets
`anchor_found` to False and says so in `reason`. Block ids (`#^id`) are checked
only when the parsed note lists its blocks; otherwise `anchor_found` is None.
"""

from __future__ import annotations

import marshal
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Iterable, Literal

from kb.diagnostics import Diagnostic
from kb.parse.anchors import find_heading
from kb.parse.note import Link, ParsedNote
from kb.vault import paused_gc

Status = Literal["ok", "case", "alias", "punctuation", "ambiguous", "missing",
                 "path-elsewhere", "file", "self"]

# A link with one of these statuses was not followed: the graph draws it to a "missing" node.
UNRESOLVED: frozenset[str] = frozenset({"missing", "path-elsewhere", "punctuation"})
# Followed, or nearly followed, by a rule a reader may not expect: `kb links` lists them.
DOUBTFUL: frozenset[str] = frozenset({"case", "alias", "punctuation", "path-elsewhere"})

_NON_ALNUM = re.compile(r"[\W_]+")
_UNKNOWN = object()


@dataclass(slots=True)  # read-only; not frozen, see kb.parse.note
class Resolution:
    """Where one link leads.

    `target` is a note path ("ML/README.md") or a file path ("img/fig.png"),
    vault-relative, or None when the link leads nowhere. `candidates` holds
    every matching note for "ambiguous" links, the near misses for
    "punctuation" and "path-elsewhere". `reason` is empty for a plain
    "ok"/"file"/"self" link whose anchor exists.
    """

    source: str
    link: Link
    target: str | None
    status: Status
    candidates: tuple[str, ...] = ()
    reason: str = ""
    anchor_found: bool | None = None    # None when the link names no heading or block


def node_id(path: str) -> str:
    """The graph id of a note or file path: a note's path without ".md", a file's path as is."""
    return path[:-3] if path.endswith(".md") else path


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)    # ASCII is NFC already


def _fold(text: str) -> str:
    return _nfc(text).casefold()


def _squash(text: str) -> str:
    return _NON_ALNUM.sub("", _fold(text))


def _path_tails(stem_path: str) -> Iterable[str]:
    """`AI/ML/README` -> `README`, `ML/README`, `AI/ML/README`: every way a link may name it."""
    parts = stem_path.split("/")
    for start in range(len(parts) - 1, -1, -1):
        yield "/".join(parts[start:])


@dataclass
class Index:
    """Lookup tables over a vault's note paths, aliases and files; built once per vault."""

    notes: dict[str, ParsedNote]
    exact: dict[str, tuple[str, ...]]       # every path tail, NFC, as written -> note paths
    folded: dict[str, tuple[str, ...]]      # every path tail, case-folded -> note paths
    aliases: dict[str, tuple[str, ...]]     # case-folded alias -> note paths
    squashed: dict[str, tuple[str, ...]]    # name or alias without case, spaces, punctuation -> note paths
    file_exact: dict[str, tuple[str, ...]]  # every tail of a file path -> file paths
    file_folded: dict[str, tuple[str, ...]]
    _memo: dict = field(default_factory=dict, repr=False)       # link target -> match
    _anchors: dict = field(default_factory=dict, repr=False)    # (note, heading, block) -> found


def build_index(vault) -> Index:
    """Index a loaded vault (anything with `notes` and `files`) for resolving links and names."""
    with paused_gc():
        return _build_index(vault)


# The index's tables of names: what a snapshot stores of it, or another process hands over
# (the notes themselves are those of the vault that reads them back).
INDEX_TABLES = tuple(f.name for f in fields(Index) if f.name not in ("notes", "_memo", "_anchors"))


def index_tables(index: Index) -> list[dict[str, tuple[str, ...]]]:
    return [getattr(index, name) for name in INDEX_TABLES]


def index_of(notes: Iterable[ParsedNote], tables: Iterable[dict[str, tuple[str, ...]]]) -> Index:
    """The index of `notes` whose tables `index_tables` gave."""
    return Index({note.path: note for note in notes}, **dict(zip(INDEX_TABLES, tables)))


def encoded_index(index: Index) -> bytes:
    """The index's tables, for `decoded_index` in another process holding the same notes."""
    return marshal.dumps((len(index.notes), index_tables(index)))


def decoded_index(encoded: bytes, vault) -> Index | None:
    """The index of `vault` (its notes and files, in the order `build_index` read them in the
    process that encoded it) from `encoded_index`; None when `encoded` is not one, or is
    one of another number of notes."""
    try:
        count, tables = marshal.loads(encoded)
    except (ValueError, EOFError, TypeError):
        return None
    if count != len(vault.notes) or type(tables) is not list or len(tables) != len(INDEX_TABLES) \
            or not all(type(table) is dict for table in tables):
        return None
    return index_of(vault.notes, tables)


def _build_index(vault) -> Index:
    # Nearly every name answers one path: a table holds the tuple `(path,)`, one per note or
    # file shared by all its names, until a second path makes it a list (frozen below).
    exact: dict[str, tuple[str] | list[str]] = {}
    folded: dict[str, tuple[str] | list[str]] = {}
    aliases: dict[str, tuple[str] | list[str]] = {}
    squashed: dict[str, tuple[str] | list[str]] = {}

    def add(table: dict, key: str, solo: tuple[str]) -> None:
        found = table.setdefault(key, solo)
        if found is not solo:
            if type(found) is tuple:
                table[key] = [*found, solo[0]]
            else:
                found.append(solo[0])

    for note in vault.notes:
        solo = (note.path,)
        stem_path = _nfc(node_id(note.path))
        for tail in _path_tails(stem_path):
            add(exact, tail, solo)
            folded_tail = tail.casefold()
            add(folded, tail if folded_tail == tail else folded_tail, solo)
        add(squashed, _squash(posixpath.basename(stem_path)), solo)
        for alias in dict.fromkeys(a for a in note.aliases if a.strip()):
            add(aliases, _fold(alias.strip()), solo)
            add(squashed, _squash(alias), solo)
    file_exact: dict[str, tuple[str] | list[str]] = {}
    file_folded: dict[str, tuple[str] | list[str]] = {}
    for path in vault.files:
        solo = (path,)
        for tail in _path_tails(_nfc(path)):
            add(file_exact, tail, solo)
            folded_tail = tail.casefold()
            add(file_folded, tail if folded_tail == tail else folded_tail, solo)
    squashed.pop("", None)

    def freeze(table: dict[str, tuple[str] | list[str]]) -> dict[str, tuple[str, ...]]:
        for key, paths in table.items():
            if type(paths) is list:
                table[key] = tuple(dict.fromkeys(paths))
        return table

    return Index(notes={note.path: note for note in vault.notes}, exact=freeze(exact),
                 folded=freeze(folded), aliases=freeze(aliases), squashed=freeze(squashed),
                 file_exact=freeze(file_exact), file_folded=freeze(file_folded))


def _rank(candidates: tuple[str, ...], source: str | None) -> tuple[str, ...]:
    """Order duplicate-name candidates by the tie-break documented at the top of this module."""
    if len(candidates) < 2:
        return candidates
    folder = posixpath.dirname(source) if source is not None else None
    return tuple(sorted(candidates, key=lambda path: (
        posixpath.dirname(path) != folder, path.count("/"), path.casefold(), path)))


def _tie_break_reason(ranked: tuple[str, ...], source: str | None) -> str:
    first, second = ranked[0], ranked[1]
    if source is not None and posixpath.dirname(first) == posixpath.dirname(source) \
            and posixpath.dirname(second) != posixpath.dirname(source):
        return "it is in the linking note's folder"
    if first.count("/") < second.count("/"):
        return "it has the shortest path"
    return "it comes first alphabetically"


def _match(index: Index, target: str, source: str | None) -> tuple[str, str | None, tuple[str, ...], str]:
    """(status, target path, candidates, reason) for a link target, ignoring its anchor."""
    key = _nfc(target).strip().lstrip("/")
    shown = f"[[{target}]]"
    tail = key.rsplit("/", 1)[-1]
    looks_like_file = "." in tail
    if looks_like_file:
        found, by_case = index.file_exact.get(key), False
        if not found:
            found, by_case = index.file_folded.get(key.casefold()), True
        if found:
            ranked = _rank(found, source)
            if len(ranked) > 1:
                return ("ambiguous", ranked[0], ranked,
                        f"{len(ranked)} files match {shown}: {', '.join(ranked)}; kb follows {ranked[0]} "
                        f"because {_tie_break_reason(ranked, source)}")
            if by_case:
                return "case", ranked[0], (), f"matches {ranked[0]} only ignoring case"
            return "file", ranked[0], (), ""

    status, found = "ok", index.exact.get(key)
    if not found:
        status, found = "case", index.folded.get(key.casefold())
    if not found and "/" not in key:
        status, found = "alias", index.aliases.get(key.casefold())
    if found:
        ranked = _rank(found, source)
        if len(ranked) > 1:
            how = {"ok": "notes are named", "case": "notes match (ignoring case)",
                   "alias": "notes have the alias"}[status]
            return ("ambiguous", ranked[0], ranked,
                    f"{len(ranked)} {how} {shown}: {', '.join(ranked)}; kb follows {ranked[0]} "
                    f"because {_tie_break_reason(ranked, source)}")
        only = ranked[0]
        if status == "case":
            return "case", only, (), f"matches {only} only ignoring case"
        if status == "alias":
            return "alias", only, (), (f"{shown} is an alias of {only}; kb follows it, "
                                       f"Obsidian would not (write [[{node_id(only)}|{target}]])")
        return "ok", only, (), ""

    if "/" in key:
        elsewhere = index.folded.get(tail.casefold())
        if elsewhere:
            ranked = _rank(elsewhere, source)
            return ("path-elsewhere", None, ranked,
                    f"no note at {key}.md; {tail!r} exists elsewhere: {', '.join(ranked)}")
    near = index.squashed.get(_squash(key if "/" not in key else tail))
    if near:
        ranked = _rank(near, source)
        return ("punctuation", None, ranked,
                f"no note named {target!r}; {', '.join(ranked)} differs only in spaces or "
                f"punctuation (Obsidian would not follow it)")
    what = "file" if looks_like_file else "note"
    return "missing", None, (), f"no {what} named {target!r}"


def _anchor_found(note: ParsedNote, link: Link) -> bool | None:
    """Whether the heading a link names exists (matched loosely, as Obsidian does); None
    when it cannot be told (the parser does not collect block ids)."""
    if link.heading:
        return find_heading(note, link.heading) is not None
    if link.block:
        blocks = getattr(note, "blocks", None)
        return None if blocks is None else link.block in blocks
    return None


def match_target(index: Index, target: str, source: str | None = None) -> tuple[Status, str | None, tuple[str, ...], str]:
    """(status, target path, candidates, reason) for a link target written in `source`,
    its anchor aside: `resolve_link` without making a Resolution."""
    # Most results do not depend on where the link is written; those that do (a ranking
    # of several candidates) are remembered per folder of the linking note.
    memo = index._memo
    hit = memo.get(target)
    if hit is None:
        folder = source.rpartition("/")[0] if source is not None else None
        hit = memo.get((target, folder))
        if hit is None:
            hit = _match(index, target, source)
            memo[target if len(hit[2]) < 2 else (target, folder)] = hit
    return hit


def resolve_link(index: Index, link: Link, source: str | None = None) -> Resolution:
    """Resolve one link written in the note `source` (None for text outside any note)."""
    target = link.target
    if not target:
        target = source
        status, candidates, reason = "self", (), ""
        if source is None or source not in index.notes:
            return Resolution(source or "", link, None, "missing", (), "a link into the same note, "
                              "but there is no note to look in")
    else:
        # `match_target`, its most common case (a match that does not depend on `source`) inline
        hit = index._memo.get(target)
        status, target, candidates, reason = hit if hit is not None else match_target(index, target, source)
    anchor = None
    if target is not None and (link.heading or link.block) and target in index.notes:
        anchor_key = (target, link.heading, link.block)
        anchor = index._anchors.get(anchor_key, _UNKNOWN)
        if anchor is _UNKNOWN:
            anchor = index._anchors[anchor_key] = _anchor_found(index.notes[target], link)
        if anchor is False:
            what = f"heading {link.heading!r}" if link.heading else f"block ^{link.block}"
            reason = "; ".join(filter(None, (reason, f"no {what} in {target}")))
    return Resolution(source or "", link, target, status, candidates, reason, anchor)


def resolve_name(index: Index, name: str, source: str | None = None) -> Resolution:
    """Resolve plain text that names a note, e.g. an architecture in a table cell ("VGGNet")."""
    return resolve_link(index, Link(target=name.strip(), line=0), source)


def resolve_vault(vault, index: Index | None = None) -> tuple[Resolution, ...]:
    """Resolve every link of every note, in (source, line) order."""
    index = index if index is not None else build_index(vault)
    by_line = attrgetter("line")
    with paused_gc():
        resolutions = tuple(resolve_link(index, link, note.path)
                            for note in sorted(vault.notes, key=attrgetter("path"))
                            for link in sorted(note.links, key=by_line))
    # What the index remembered of every target and anchor pays while a vault's links are
    # resolved; kept, it would hold 25 MB at 50,000 notes that the graph built next can use.
    index._memo.clear()
    index._anchors.clear()
    return resolutions


def vault_links(vault) -> tuple[Index, tuple[Resolution, ...]]:
    """`build_index` and `resolve_vault`, or their snapshot when the vault is unchanged (see
    `kb.snapshot`): what `kb check` needs of the graph stages."""
    from kb import snapshot

    with paused_gc():
        links = snapshot.load(vault, graph=False)
    if links is not None:
        return links.index, links.resolutions
    index = build_index(vault)
    resolutions = resolve_vault(vault, index)
    snapshot.save(vault, index, resolutions)
    return index, resolutions


def diagnostics(resolutions: Iterable[Resolution]) -> tuple[Diagnostic, ...]:
    """One diagnostic per unresolved, ambiguous or doubtful link, and per missing anchor."""
    found = []
    for r in resolutions:
        if r.status in ("ok", "file", "self") and r.anchor_found is not False:
            continue
        code = "anchor" if r.status in ("ok", "file", "self") else r.status
        severity = "warning" if r.status in UNRESOLVED or r.status == "ambiguous" \
            or r.anchor_found is False else "info"
        found.append(Diagnostic(r.source, r.link.line, f"[[{_written(r.link)}]]: {r.reason}",
                                code=code, severity=severity))
    return tuple(found)


def _written(link: Link) -> str:
    text = link.target
    if link.heading:
        text += "#" + link.heading
    if link.block:
        text += "#^" + link.block
    return text
