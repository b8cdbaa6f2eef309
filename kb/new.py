"""Scaffold a note: `kb new TITLE` renders a template in the vault's style and writes it.

The steps, each refusing bad input before anything touches the disk:

1. the title must be a file name every platform and Obsidian accept, and stay
   inside the vault (`check_title`);
2. it must not name a note that exists already, in any folder, in any letter
   case, or as another note's alias (`find_clashes`);
3. the template (`--template PATH`, else `<vault>/templates/note.md.j2`, else
   the built-in `kb/templates/note.md.j2`) is rendered with the context that
   `note_context` builds; an undefined name is an error naming the template
   line, never a silently empty note;
4. the note is written atomically and exclusively: a file that appears
   meanwhile is never replaced.

Template context (also documented in the guide, "Adding a note"):

    title         the note title, as given
    aliases       other names of the subject: the reference model's and its family's
                  names when they differ from the title and name no other note
    tags          tag names without '#'
    year          int or None
    created       ISO date of today
    predecessors  [{name, link, year}]  link is "[[Name]]", year int or None
    related       [{link, role}]        "predecessor" for each predecessor
    model         None, or {id, name, family, params, layers, macs} of the reference model
                  (measured values, already formatted so the checker verifies them)
    family        None, or {id, name, year}
    variants      [{id, name, params, layers, macs, reference}] the family's variants
    lineage       [{year, name, link, current}]  predecessors and this note, by year
    paper         None, or {title, authors, year, venue, url, citation}

Filters: `yaml` (a YAML flow value: safe for any text), `yaml_quoted` (the same,
every string double-quoted, as Obsidian writes wikilinks), `cell` (a table cell:
`|` escaped, line breaks folded), `wikilink`, `tag`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import traceback
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

from kb import atomic
from kb.errors import KbError

TEMPLATE_NAME = "note.md.j2"
USER_TEMPLATE = Path("templates") / TEMPLATE_NAME
BUILTIN_TEMPLATES = Path(__file__).parent / "templates"

# File names are limited to 255 bytes on common file systems; the atomic write
# also needs room for ".<title>.md.<random>.tmp" beside the note.
MAX_TITLE_BYTES = 200
EARLIEST_YEAR = 1940  # McCulloch & Pitts (1943) is the first neural-network paper a note could be about

# Characters Obsidian refuses in file names (so do Windows and macOS Finder
# for some of them) or that break a wikilink: `[[A#B]]` links a heading,
# `[[A^B]]` a block, `[[A|B]]` sets a label.
FORBIDDEN_CHARACTERS = {
    "/": "a path separator",
    "\\": "a path separator",
    ":": "forbidden in file names on Windows and macOS",
    "*": "forbidden in file names on Windows",
    "?": "forbidden in file names on Windows",
    '"': "forbidden in file names on Windows",
    "<": "forbidden in file names on Windows",
    ">": "forbidden in file names on Windows",
    "|": "it separates a wikilink's label",
    "#": "it starts a heading in a wikilink",
    "^": "it starts a block reference in a wikilink",
    "[": "it breaks wikilinks",
    "]": "it breaks wikilinks",
}
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10)), "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"}
TAG_PATTERN = re.compile(r"[\w/-]+")


@dataclass(frozen=True, slots=True)
class NoteRequest:
    """What `kb new` was asked for; every field is checked before anything is written."""

    title: str
    model: str | None = None
    year: int | None = None
    predecessors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    template: Path | None = None        # overrides the vault's and the built-in template


@dataclass(frozen=True, slots=True)
class Clash:
    """An existing note that already answers to a name."""

    name: str                           # the name asked for
    existing: str                       # the same name as the existing note spells it
    path: str                           # vault-relative path of the existing note
    how: str                            # "title" or "alias"

    def __str__(self) -> str:
        if self.how == "title":
            return f"{self.path} already exists"
        return f"{self.path} already has the alias {self.existing!r}"


@dataclass(frozen=True, slots=True)
class CreatedNote:
    path: Path                          # the file written
    relpath: str                        # relative to the vault, POSIX
    template: str                       # the template it was rendered from, as shown to the user
    notices: tuple[str, ...] = ()       # what was adjusted on the way (aliases left out, ...)


# --- names ---------------------------------------------------------------------------------------

def _name_key(name: str) -> str:
    """How Obsidian and kb compare note names: Unicode-normalised, case-folded."""
    return unicodedata.normalize("NFC", name).casefold()


def title_problem(title: str) -> str | None:
    """Why `title` cannot be a note's file name, or None when it can."""
    if not title.strip():
        return "it is empty"
    if title.startswith(("/", "\\")) or re.match(r"[A-Za-z]:[\\/]", title) or Path(title).is_absolute():
        return "it is an absolute path; kb new takes a note title and writes the note inside the vault"
    parts = re.split(r"[\\/]", title)
    if ".." in parts:
        return "it would land outside the vault ('..' is a path, not a title)"
    for character in title:
        if character in FORBIDDEN_CHARACTERS:
            return f"it contains {character!r}: {FORBIDDEN_CHARACTERS[character]}"
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            return f"it contains the control character U+{ord(character):04X}"
    if "%%" in title:
        return "it contains '%%', which starts a comment in Obsidian"
    if title != title.strip():
        return "it starts or ends with white space"
    if title.startswith("."):
        return "it starts with '.': the note would be a hidden file, which Obsidian and kb skip"
    if title.endswith("."):
        return "it ends with '.', which Windows drops from file names"
    if title.partition(".")[0].rstrip(" ").upper() in WINDOWS_RESERVED:
        return f"{title.partition('.')[0]!r} is a reserved device name on Windows"
    size = len(title.encode("utf-8"))
    if size > MAX_TITLE_BYTES:
        return f"it is {size} bytes long in UTF-8; the limit is {MAX_TITLE_BYTES}"
    return None


def check_title(title: str) -> str:
    problem = title_problem(title)
    if problem:
        raise KbError(f"{title!r} cannot be a note title: {problem}")
    return title


def link_target(text: str, *, what: str) -> str:
    """A note name as given on the command line (`AlexNet` or `[[AlexNet]]`), checked for use in a wikilink."""
    name = text.strip()
    if name.startswith("[[") and name.endswith("]]"):
        name = name[2:-2].strip()
    if not name:
        raise KbError(f"{what} {text!r}: expected a note name such as AlexNet")
    for character in "|#^[]":
        if character in name:
            raise KbError(f"{what} {text!r}: a note name cannot contain {character!r} "
                          f"({FORBIDDEN_CHARACTERS[character]})")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise KbError(f"{what} {text!r}: a note name cannot contain control characters")
    return name


def check_tag(text: str) -> str:
    """A tag as given (`cnn` or `#cnn`), checked against Obsidian's tag syntax; returned without '#'."""
    tag = text.strip().removeprefix("#")
    if not TAG_PATTERN.fullmatch(tag) or tag.isdigit():
        raise KbError(f"tag {text!r}: expected letters, digits, '_', '-' or '/' "
                      "(not only digits, no spaces), such as cnn or area/vision")
    return tag


def check_year(year: int, *, today: dt.date | None = None) -> int:
    latest = (today or dt.date.today()).year + 1
    if not EARLIEST_YEAR <= year <= latest:
        raise KbError(f"year {year}: expected a publication year between {EARLIEST_YEAR} and {latest}")
    return year


def find_clashes(vault, names: Iterable[str]) -> tuple[Clash, ...]:
    """Notes of `vault` whose file name or an alias equals one of `names`, ignoring case."""
    wanted = {_name_key(name): name for name in names}
    clashes = []
    for note in vault.notes:
        stem = Path(note.path).stem
        if _name_key(stem) in wanted:
            clashes.append(Clash(wanted[_name_key(stem)], stem, note.path, "title"))
        for alias in note.aliases:
            if isinstance(alias, str) and _name_key(alias) in wanted:
                clashes.append(Clash(wanted[_name_key(alias)], alias, note.path, "alias"))
    return tuple(clashes)


# --- context -------------------------------------------------------------------------------------

def format_params(count: int | float) -> str:
    """A parameter count as notes write it, to 0.1M (0.01M below one million): 25,557,032 -> '25.6M'."""
    millions = count / 1e6
    return f"{millions:.1f}M" if millions >= 1 else f"{millions:.2f}M"


def format_macs(count: int | float) -> str:
    """Multiply-accumulates to 0.1G (0.1M below one billion): 4,089,184,256 -> '4.1G'."""
    return f"{count / 1e9:.1f}G" if count >= 1e9 else f"{count / 1e6:.1f}M"


def _paper_context(paper) -> dict:
    """A `kb.models.Paper` for templates, with a ready-made citation line."""
    parts = [paper.authors, f'"{paper.title}"', paper.venue, str(paper.year)]
    citation = ", ".join(part for part in parts if part) + (f" — {paper.url}" if paper.url else "")
    return {"title": paper.title, "authors": paper.authors, "year": paper.year, "venue": paper.venue,
            "url": paper.url, "citation": citation}


def _model_row(spec, measurement, *, reference: bool) -> dict:
    return {
        "id": spec.id,
        "name": spec.name,
        "params": format_params(measurement.params) if measurement else "",
        "layers": str(measurement.depth) if measurement and measurement.depth is not None else "",
        "macs": format_macs(measurement.macs) if measurement and measurement.macs else "",
        "reference": reference,
    }


def lookup_model(model_id: str):
    """The registry entry for `model_id` (an id or a name such as 'ResNet-50'); unknown -> KbError with close matches."""
    from kb.models import MODELS, find_model

    spec = MODELS.get(model_id) or find_model(model_id)
    if spec is None:
        known = sorted(MODELS)
        close = difflib.get_close_matches(model_id.lower(), known, n=4, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else f"known models: {', '.join(known)}"
        raise KbError(f"--model {model_id!r}: no such reference model; {hint} (`kb models` lists them)")
    return spec


def note_context(request: NoteRequest, vault, *, today: dt.date | None = None) -> tuple[dict, tuple[str, ...]]:
    """The template context for `request` in `vault`, and notices about what was adjusted."""
    notices: list[str] = []
    model = family = paper = None
    variants: list[dict] = []
    aliases: list[str] = []
    year = request.year

    if request.model is not None:
        from kb.measure import load_measurements
        from kb.models import FAMILIES, MODELS

        spec = lookup_model(request.model)
        family_spec = FAMILIES.get(spec.family)
        variant_ids = [v for v in (family_spec.variants if family_spec else ()) if v in MODELS] or [spec.id]
        if spec.id not in variant_ids:
            variant_ids.append(spec.id)
        measured = load_measurements(variant_ids)
        model = _model_row(spec, measured.get(spec.id), reference=True)
        model["family"] = spec.family
        variants = [_model_row(MODELS[v], measured.get(v), reference=v == spec.id) for v in variant_ids]
        if family_spec is not None:
            family = {"id": family_spec.id, "name": family_spec.name, "year": family_spec.year}
            if year is None:
                year = family_spec.year
        paper = _paper_context(spec.paper)
        for name in (family_spec.name if family_spec else None, spec.name):
            if name and _name_key(name) != _name_key(request.title) and name not in aliases:
                aliases.append(name)

    # An alias another note already answers to would make links to it ambiguous.
    for clash in find_clashes(vault, aliases):
        if clash.name in aliases:
            aliases.remove(clash.name)
            notices.append(f"alias {clash.name!r} left out: {clash}")

    predecessors = [_predecessor(name, vault) for name in dict.fromkeys(request.predecessors)]
    for item in predecessors:
        if item.pop("exists") is False:
            notices.append(f"{item['link']} names no note yet; the link stays open until you create it")

    # Predecessors come first by definition; a year that contradicts that is the checker's to report.
    lineage = [{"year": p["year"], "name": p["name"], "link": p["link"], "current": False}
               for p in sorted(predecessors, key=lambda p: (p["year"] is None, p["year"] or 0))]
    lineage.append({"year": year, "name": request.title, "link": None, "current": True})
    context = {
        "title": request.title,
        "aliases": aliases,
        "tags": list(dict.fromkeys(request.tags or ("architecture",))),
        "year": year,
        "created": (today or dt.date.today()).isoformat(),
        "predecessors": predecessors,
        "related": [{"link": p["link"], "role": "predecessor"} for p in predecessors],
        "model": model,
        "family": family,
        "variants": variants,
        "lineage": lineage,
        "paper": paper,
    }
    return context, tuple(notices)


def _predecessor(name: str, vault) -> dict:
    """Link a predecessor by the file name of the note it names, so the link works in Obsidian too."""
    key = _name_key(name)
    by_title = [n for n in vault.notes if _name_key(Path(n.path).stem) == key]
    by_alias = [n for n in vault.notes if any(isinstance(a, str) and _name_key(a) == key for a in n.aliases)]
    matches = by_title or by_alias
    year = None
    if len(matches) == 1:
        note = matches[0]
        name = Path(note.path).stem
        stated = note.frontmatter.get("year")
        year = stated if isinstance(stated, int) and not isinstance(stated, bool) else None
    if year is None:
        year = _family_year(name)
    return {"name": name, "link": f"[[{name}]]", "year": year, "exists": bool(matches)}


def _family_year(name: str) -> int | None:
    from kb.models import find_family

    family = find_family(name)
    return family.year if family else None


# --- rendering -----------------------------------------------------------------------------------

def _yaml_flow(value: Any, *, quoted: bool = False) -> str:
    """`value` as one line of YAML that reads back as `value`.

    Text is kept readable (`é`, not `\\xE9`) unless it holds characters YAML
    would read as line breaks (U+0085, U+2028...); those are escaped.
    """
    for readable in (True, False):
        text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=readable, width=float("inf"),
                              default_style='"' if quoted else None, sort_keys=False)
        text = text.removesuffix("\n").removesuffix("\n...")
        if "\n" not in text and yaml.safe_load(f"key: {text}")["key"] == value:
            break
    return text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).splitlines()).replace("|", "\\|")


def template_environment(folder: Path) -> jinja2.Environment:
    """Templates are vault content, so they render sandboxed; markdown needs no HTML escaping."""
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(folder)), undefined=jinja2.StrictUndefined,
                               autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        yaml=_yaml_flow,
        yaml_quoted=lambda value: _yaml_flow(value, quoted=True),
        cell=_cell,
        wikilink=lambda name: f"[[{name}]]",
        tag=lambda name: f"#{name}",
    )
    return env


def choose_template(vault_root: Path, override: Path | None = None) -> Path:
    """`override`, else the vault's own `templates/note.md.j2`, else the built-in template."""
    if override is not None:
        if not Path(override).is_file():
            raise KbError(f"--template {override}: no such file")
        return Path(override)
    own = vault_root / USER_TEMPLATE
    return own if own.is_file() else BUILTIN_TEMPLATES / TEMPLATE_NAME


def render_note(template_path: Path, context: Mapping[str, Any]) -> str:
    """Render one template; a template mistake is a KbError naming its file and line."""
    template_path = Path(template_path)
    env = template_environment(template_path.parent)
    try:
        return env.get_template(template_path.name).render(context)
    except jinja2.TemplateSyntaxError as error:
        raise KbError(f"{template_path}:{error.lineno}: template syntax error: {error.message}") from None
    except jinja2.TemplateError as error:
        line = _template_line(error, template_path)
        where = f"{template_path}:{line}" if line else str(template_path)
        hint = ""
        if isinstance(error, jinja2.UndefinedError):
            hint = f" (the context has: {', '.join(sorted(context))})"
        raise KbError(f"{where}: {error.message or error}{hint}") from None
    except UnicodeDecodeError as error:
        raise KbError(f"{template_path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def _template_line(error: BaseException, template_path: Path) -> int | None:
    """Jinja rewrites tracebacks so template frames carry the template's file name and line."""
    target = str(template_path.resolve())
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
             if frame.filename and Path(frame.filename).resolve().as_posix() == Path(target).as_posix()]
    return lines[-1] if lines else None


# --- the command's work --------------------------------------------------------------------------

def create_note(vault_root: Path, request: NoteRequest, *, today: dt.date | None = None) -> CreatedNote:
    """Check `request`, render its template and write `<vault>/<title>.md`; never replaces a file."""
    from kb.parse import parse_note
    from kb.vault import load_vault

    title = check_title(request.title)
    if request.year is not None:
        check_year(request.year, today=today)
    request = NoteRequest(
        title=title, model=request.model, year=request.year,
        predecessors=tuple(link_target(p, what="--predecessor") for p in request.predecessors),
        tags=tuple(check_tag(t) for t in request.tags), template=request.template)
    if request.model is not None:
        lookup_model(request.model)  # an unknown model fails before the vault is read

    root = Path(vault_root)
    target = root / f"{title}.md"
    if (root.resolve() / target.name).parent != root.resolve():  # check_title makes this hold; kept as a guard
        raise KbError(f"{title!r} cannot be a note title: it would land outside the vault")
    vault = load_vault(root)
    clashes = find_clashes(vault, [title])
    if clashes:
        raise KbError(f"a note named {title!r} exists: " + "; ".join(map(str, clashes)))
    if target.exists() or target.is_symlink():  # a file the vault does not list as a note
        raise KbError(f"{target.name} already exists in the vault")

    template = choose_template(root, request.template)
    context, notices = note_context(request, vault, today=today)
    text = render_note(template, context)
    relpath = target.name
    unreadable = [d for d in parse_note(text, relpath).diagnostics if d.severity != "info"]
    if unreadable:
        raise KbError(f"{template}: the rendered note would not parse: "
                      + "; ".join(f"line {d.line}: {d.message}" for d in unreadable))
    try:
        atomic.write_text(target, text, exclusive=True)
    except FileExistsError:
        raise KbError(f"{target.name} appeared in the vault while the note was being written; left it as it is") \
            from None
    shown = template.name if template.parent == BUILTIN_TEMPLATES else str(template)
    return CreatedNote(path=target, relpath=relpath, template=shown, notices=notices)
