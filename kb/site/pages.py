"""The pages kb adds to a site, and the pieces it adds to every note page.

Each function takes plain data from the pipeline (vault, resolutions, graph,
verdicts, measurements) plus an `href` callable that turns a docs path (and an
optional anchor) into a URL relative to the page being written, and returns
markdown (with HTML blocks) or HTML. Templates are jinja2 with autoescape: an
author's text can only reach them as data.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import jinja2
from markupsafe import Markup

from kb.measure import depth_breakdown
from kb.parse.note import ParsedNote
from kb.site import svg
from kb.site.render import ATTRIBUTE_NAMES, BadgeIndex, badge_id, format_value, plain_text, sentence_around

if TYPE_CHECKING:
    import networkx as nx

    from kb.resolve import Resolution
    from kb.verdicts import Verdict

Href = Callable[..., str]   # href(docs_path, anchor=None) -> URL relative to the page being written

TEMPLATES = Path(__file__).with_name("templates")

VERDICT_GROUPS = (
    ("contradicted", "✗", "Contradicted",
     "The stated value is off the reference by at least the unit of its last digit."),
    ("approximate", "≈", "Approximate",
     "Not the reference rounded to the stated precision, but within one unit of the last stated digit "
     "(a truncation, say)."),
    ("unverifiable", "?", "Unverifiable", "No measurement, published result or other note to check against."),
    ("verified", "✓", "Verified", "The reference value, rounded to the precision the note states."),
)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def note_title(note: ParsedNote) -> str:
    title = note.frontmatter.get("title") if isinstance(note.frontmatter, dict) else None
    return title.strip() if isinstance(title, str) and title.strip() else note.title


# --------------------------------------------------------------------------- note pages

def note_header(note: ParsedNote) -> str:
    """The "Also known as" line: shows the aliases and lets the built-in search find the note by them."""
    return render("note_header.html", aliases=note.aliases) if note.aliases else ""


@dataclass(frozen=True)
class Backlink:
    source: str             # note path
    title: str
    sentences: tuple[str, ...]


def backlinks(note: ParsedNote, resolutions: Iterable["Resolution"],
              notes: Mapping[str, ParsedNote]) -> list[Backlink]:
    """Notes linking to `note`, each with the sentences around its links, in path order."""
    found: dict[str, list[str]] = defaultdict(list)
    for resolution in resolutions:
        if resolution.target != note.path or resolution.source == note.path:
            continue
        link = resolution.link
        needle = link.label or link.target
        if link.syntax == "frontmatter":
            sentence = f"{link.key}: {needle}" if link.key else needle
        else:
            sentence = sentence_around(link.context, needle) if link.context else ""
        if sentence and sentence not in found[resolution.source]:
            found[resolution.source].append(sentence)
        else:
            found.setdefault(resolution.source, [])
    return [Backlink(source, note_title(notes[source]) if source in notes else source, tuple(sentences))
            for source, sentences in sorted(found.items())]


def local_graph(G: "nx.MultiDiGraph", node: str, href: Href) -> str:
    """The note and its direct neighbours (links and lineage both ways), drawn at build time."""
    if node not in G:
        return ""

    def as_node(other: str) -> svg.GraphNode:
        data = G.nodes[other]
        path = data.get("path")
        kind = data.get("kind")
        return svg.GraphNode(key=other, label=str(data.get("title") or other), missing=kind == "missing",
                             href=href(path) if path and kind in ("note", "file") else None)

    incoming = sorted({u for u, _ in G.in_edges(node)} - {node}, key=str.casefold)
    outgoing = sorted({v for _, v in G.out_edges(node)} - {node} - set(incoming), key=str.casefold)
    center = svg.GraphNode(key=node, label=str(G.nodes[node].get("title") or node), center=True)
    return svg.local_graph_svg(svg.LocalGraph(center, [as_node(n) for n in incoming],
                                              [as_node(n) for n in outgoing]))


def note_footer(links_here: Sequence[Backlink], graph_svg: str, href: Href) -> str:
    rows = [{"href": href(link.source), "title": link.title, "sentences": link.sentences} for link in links_here]
    return render("note_footer.html", backlinks=rows, local_graph=Markup(graph_svg))


def summary(lines: Sequence[str], limit: int = 320) -> str:
    """The note's first paragraph of prose as plain text (headings, tables, tag lines and code skipped)."""
    paragraph: list[str] = []
    fenced = False
    for raw in lines:
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        prose = line and not line.startswith(("#", "|", ">", "---", "***", "<", "![[")) and not raw.startswith("    ")
        if prose:
            paragraph.append(plain_text(line))
        elif paragraph:
            break
    text = " ".join(paragraph)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


# --------------------------------------------------------------------------- generated pages

def missing_page(resolutions: Iterable["Resolution"], notes: Mapping[str, ParsedNote], href: Href) -> str:
    targets: dict[str, dict] = {}
    for resolution in resolutions:
        if resolution.target is not None:
            continue
        link = resolution.link
        entry = targets.setdefault(link.target.casefold(),
                                   {"name": link.target, "refs": [], "reasons": []})
        source = notes.get(resolution.source)
        entry["refs"].append({"href": href(resolution.source), "line": link.line,
                              "title": note_title(source) if source else resolution.source,
                              "sentence": sentence_around(link.context, link.label or link.target)})
        if resolution.reason and resolution.reason not in entry["reasons"]:
            entry["reasons"].append(resolution.reason)
    rows = [{"name": entry["name"], "refs": entry["refs"],
             "reason": "; ".join(entry["reasons"]) or "no note of that name"}
            for _, entry in sorted(targets.items())]
    return render("missing.md", targets=rows)


def claim_anchors(verdicts: Sequence["Verdict"], notes: Mapping[str, ParsedNote]) -> dict[int, str | None]:
    """id(verdict) -> the id of its badge on the note page (None when it stands in the frontmatter)."""
    anchors: dict[int, str | None] = {}
    by_file: dict[str, list] = defaultdict(list)
    for verdict in verdicts:
        by_file[verdict.claim.file].append(verdict)
    for file, group in by_file.items():
        note = notes.get(file)
        body_start = note.frontmatter_end if note else 0
        for (line, column), cell in BadgeIndex.of(group).by_cell.items():
            for index, verdict in enumerate(cell):
                anchors[id(verdict)] = badge_id(line, column, index) if line > body_start else None
    return anchors


def fact_check_page(verdicts: Sequence["Verdict"], notes: Mapping[str, ParsedNote], href: Href) -> str:
    anchors = claim_anchors(verdicts, notes)
    groups = []
    for kind, symbol, title, explanation in VERDICT_GROUPS:
        rows = []
        for verdict in verdicts:
            if verdict.verdict != kind:
                continue
            claim = verdict.claim
            evidence = verdict.evidence
            source = ""
            if evidence is not None:
                source = evidence.source + (f" ({evidence.detail})" if evidence.detail else "")
            if verdict.explanation:
                source = f"{source} — {verdict.explanation}" if source else verdict.explanation
            rows.append({"href": href(claim.file, anchors.get(id(verdict))), "where": f"{claim.file}:{claim.line}",
                         "subject": claim.subject.text, "attribute": ATTRIBUTE_NAMES.get(claim.attribute, claim.attribute),
                         "stated": claim.stated.text, "expected": format_value(claim.attribute, verdict.expected)
                         if verdict.expected is not None else "—", "evidence": source or "—"})
        groups.append({"kind": kind, "symbol": symbol, "title": title, "explanation": explanation, "rows": rows})
    summary_counts = {kind: sum(1 for v in verdicts if v.verdict == kind) for kind, *_ in VERDICT_GROUPS}
    return render("fact_check.md", groups=groups, summary=summary_counts)


def graph_data(G: "nx.MultiDiGraph", url_of: Callable[[str], str | None]) -> dict:
    """Compact node and edge lists for the graph page: ids, labels, site-relative URLs, edge kinds."""
    nodes = []
    for node, data in G.nodes(data=True):
        path = data.get("path")
        nodes.append({"id": node, "label": str(data.get("title") or node), "kind": data.get("kind", "note"),
                      "url": url_of(path) if path else None})
    edges = sorted({(u, v, kind) for u, v, kind in G.edges(data="kind")})
    return {"nodes": nodes, "edges": [list(edge) for edge in edges]}


def graph_page(G: "nx.MultiDiGraph") -> str:
    kinds = [kind for _, kind in G.nodes(data="kind")]
    return render("graph.md", notes=kinds.count("note"), missing=kinds.count("missing"),
                  edges=sum(1 for _, _, kind in G.edges(data="kind") if kind in ("link", "embed")))


def _family_of(G: "nx.MultiDiGraph", node: str, find_family: Callable):
    data = G.nodes[node]
    for name in (data.get("title"), node, *(data.get("aliases") or ())):
        if name:
            family = find_family(str(name))
            if family is not None:
                return family
    return None


def lineage_page(G: "nx.MultiDiGraph", order: Sequence[str], measurements: Mapping[str, Any],
                 families: Mapping[str, Any], models: Mapping[str, Any], find_family: Callable, href: Href,
                 model_href: Callable[[str], str | None]) -> str:
    entries: list[svg.TimelineEntry] = []
    for node in order:
        data = G.nodes[node]
        year = data.get("year")
        if not isinstance(year, int):
            continue
        family = _family_of(G, node, find_family)
        measured = [measurements[v] for v in (family.variants if family else ()) if v in measurements]
        depth = max((m.depth for m in measured if m.depth is not None), default=None)
        params = max((m.params for m in measured if m.params is not None), default=None)
        path = data.get("path")
        entries.append(svg.TimelineEntry(key=node, label=str(data.get("title") or node), year=year,
                                         href=href(path) if path and data.get("kind") == "note" else None,
                                         depth=depth, params=params,
                                         detail=f"{len(measured)} measured variants" if measured else ""))
    lineage_pairs = [(u, v) for u, v, kind in G.edges(data="kind") if kind == "lineage"]
    depth_points, param_points = [], []
    units = set()
    for family in families.values():
        for variant in family.variants:
            measurement = measurements.get(variant)
            if measurement is None:
                continue
            name = models[variant].name if variant in models else variant
            if measurement.depth:
                depth_points.append(svg.Point(family.year, measurement.depth, name, family.id, model_href(variant)))
                units.add(measurement.depth_unit)
            if measurement.params:
                param_points.append(svg.Point(family.year, measurement.params, name, family.id, model_href(variant)))
    edges = []
    for u, v, data in G.edges(data=True):
        if data.get("kind") != "lineage":
            continue
        ends = []
        for node in (u, v):
            node_data = G.nodes[node]
            path = node_data.get("path")
            ends.append((str(node_data.get("title") or node),
                         href(path) if path and node_data.get("kind") == "note" else None))
        edges.append({"source": ends[0][0], "source_href": ends[0][1], "target": ends[1][0],
                      "target_href": ends[1][1], "where": f"{data.get('file')}:{data.get('line')}"})
    return render(
        "lineage.md",
        timeline_svg=Markup(svg.timeline_svg(entries, lineage_pairs)),
        depth_svg=Markup(svg.scatter_svg(depth_points, title="Depth of the measured variants by year",
                                         x_label="year first published", y_label="depth", log_y=True)),
        params_svg=Markup(svg.scatter_svg(param_points, title="Parameters of the measured variants by year",
                                          x_label="year first published", y_label="parameters", log_y=True,
                                          y_format=svg.human_count)),
        depth_units=", ".join(sorted(units)) or "layers", edges=edges)


def _count(value: float | None) -> str:
    return f"{value:,.0f} ({svg.human_count(value)})" if value else "—"


def measurement_row(measurement: Any | None) -> dict | None:
    if measurement is None:
        return None
    depth = f"{measurement.depth} {measurement.depth_unit}" if measurement.depth is not None else "—"
    detail = depth_breakdown(measurement.depth_unit, measurement.depth_detail) \
        if isinstance(measurement.depth_detail, dict) else ""
    if detail:
        depth += f" ({detail})"
    shapes = " × ".join(map(str, measurement.input_shape)) + " → " + " × ".join(map(str, measurement.output_shape))
    notes = measurement.notes if isinstance(measurement.notes, (list, tuple)) else \
        ([measurement.notes] if measurement.notes else [])
    return {"params": _count(measurement.params), "depth": depth, "macs": _count(measurement.macs),
            "shapes": shapes, "notes": notes}


# A paragraph of a model's docstring sets the paper against the definition when it names both sides.
_PAPER_SIDE = re.compile(r"\b(?:paper|Table \d+|Figure \d+|Section \d+)", re.I)
_DEFINITION_SIDE = re.compile(r"\b(?:this definition|measur\w*)", re.I)


def paper_discrepancies(doc: str) -> list[Markup]:
    """The paragraphs of a model's docstring (its `doc()`) that set a figure the paper prints against what
    the definition gives, past the opening line: each as one line of escaped HTML, `code` spans kept."""
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", doc or "")]
    found = []
    for paragraph in paragraphs[1:]:
        if paragraph and _PAPER_SIDE.search(paragraph) and _DEFINITION_SIDE.search(paragraph) \
                and re.search(r"\d", paragraph):
            text = str(Markup.escape(paragraph))
            found.append(Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", text)))
    return found


def _model_doc(spec: Any) -> str:
    try:
        return spec.doc() if callable(getattr(spec, "doc", None)) else ""
    except Exception:  # noqa: BLE001 - a plugin model without readable source simply has no notes
        return ""


def model_page(spec: Any, family_name: str, measurement: Any | None, layers: Sequence[Sequence[Any]],
               layer_columns: Sequence[str], mentions: Sequence[dict]) -> str:
    paper = spec.paper
    paper_text = f"{paper.authors}, “{paper.title}”, {paper.venue} ({paper.year}), {spec.where}" if paper else ""
    return render("model.md", name=spec.name, id=spec.id, family=family_name, paper=paper_text,
                  doc=spec.summary, measurement=measurement_row(measurement), layers=layers,
                  layer_columns=layer_columns, mentions=mentions,
                  discrepancies=paper_discrepancies(_model_doc(spec)))


def models_page(rows: Sequence[dict]) -> str:
    return render("models.md", models=rows)


def model_mentions(model_id: str, family_id: str, verdicts: Sequence["Verdict"],
                   anchors: Mapping[int, str | None], href: Href) -> list[dict]:
    """The claims the notes make about a model (by name) or, less precisely, its family."""
    found = []
    for verdict in verdicts:
        subject = verdict.claim.subject
        if subject.model != model_id:
            continue
        claim = verdict.claim
        found.append({"href": href(claim.file, anchors.get(id(verdict))), "where": f"{claim.file}:{claim.line}",
                      "text": f"{ATTRIBUTE_NAMES.get(claim.attribute, claim.attribute)} {claim.stated.text} — "
                              f"{verdict.verdict}"})
    return found


def redirect_page(alias: str, title: str, href: str) -> str:
    return render("redirect.html", alias=alias, title=title, href=href)


def alias_slug(alias: str) -> str:
    """The file name a note called `alias` would have: path separators and control characters dropped."""
    return re.sub(r"[\x00-\x1f/\\]+", " ", alias).strip().strip(".")
