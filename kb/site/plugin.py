"""The `kb` MkDocs plugin: publishes a vault with working wikilinks, backlinks, fact badges, lineage and graph.

    plugins:
      - search
      - kb
      - tags

Build events, in order:

* `on_config`: the markdown extensions the rewritten notes need, kb's CSS and JS.
* `on_files`: the vault is loaded, resolved, graphed and fact-checked once per
  build; the generated pages (home, Missing notes, Fact check, Lineage, Graph,
  Tags, one page per reference model), the user guide, the data files the
  scripts read, and one redirect page per alias are added as virtual files.
  Nothing is written into `docs_dir`.
* `on_nav`: the generated sections get readable titles.
* `on_page_markdown`: a note's markdown is rewritten from its source lines
  (wikilinks, embeds, inline tags, badges) and framed with its aliases,
  backlinks and local graph; title and tags are handed to the theme escaped.
"""

from __future__ import annotations

import html
import json
import logging
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from kb.errors import KbError
from kb.resolve import node_id
from kb.parse.note import ParsedNote
from kb.site import pages
from kb.site.render import BadgeIndex, Linker, by_link, relative_href, rewrite_lines

log = logging.getLogger("mkdocs.plugins.kb")

ASSETS = Path(__file__).with_name("assets")
GUIDE = Path(__file__).resolve().parent.parent / "guide"
ASSET_DIR = "assets/kb"
NEEDED_EXTENSIONS = ("attr_list", "md_in_html", "tables", "toc")
SECTION_TITLES = {"guide": "Guide", "models": "Reference models"}
FOOTER_MARK = "<!-- kb:footer -->"


class KbConfig(base.Config):
    check = c.Type(bool, default=True)
    """Fact-check the notes: badges in the tables and the Fact check page."""
    measure = c.Type(bool, default=True)
    """Check against the measured reference models (cached; measuring what is missing imports torch)."""
    layers = c.Type(bool, default=True)
    """Per-layer tables on the reference model pages (traced once, then cached)."""
    guide = c.Type(bool, default=True)
    """Add kb's user guide under guide/."""
    folder = c.Type(str, default="kb")
    """Folder of the generated pages in the site."""
    compact_html = c.Type(bool, default=True)
    """Drop the indentation and blank lines the theme's templates leave in every page (outside `<pre>`,
    `<code>`, `<script>`, `<style>` and `<textarea>`): a third of a note page's bytes, nothing a reader sees."""
    nav_group_size = c.Type(int, default=20)
    """A folder with more notes than this is shown in the navigation as alphabetical groups of at most
    this many (every page carries its folder's navigation, so a flat folder of 1,000 notes would put
    1,000 links on each page); 0 keeps folders flat."""


@dataclass
class BuildState:
    """What one build knows about the vault, computed once in `on_files`."""

    vault: Any
    notes: dict[str, ParsedNote]
    resolutions: tuple
    graph: Any
    report: Any | None
    measurements: dict[str, Any]
    linker: Linker
    badges: dict[str, BadgeIndex] = field(default_factory=dict)
    note_files: dict[str, File] = field(default_factory=dict)
    links_to: dict[str, list] = field(default_factory=dict)     # note path -> resolutions leading to it
    footers: dict[str, str] = field(default_factory=dict)       # note path -> footer HTML, set per page


class KbPlugin(BasePlugin[KbConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.state: BuildState | None = None
        self._files: Files | None = None
        self._blocks: dict[str, dict[str, str]] = {}   # generated page -> marker -> HTML put in after rendering
        self.report = None          # the last build's CheckReport, read by `kb build`

    # ------------------------------------------------------------------ config

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        for extension in NEEDED_EXTENSIONS:
            if not any(isinstance(e, str) and e.split(".")[-1] == extension for e in config.markdown_extensions):
                config.markdown_extensions.append(extension)
        css, js = f"{ASSET_DIR}/kb.css", f"{ASSET_DIR}/kb.js"
        if css not in config.extra_css:
            config.extra_css.append(css)
        if js not in [str(script) for script in config.extra_javascript]:
            config.extra_javascript.append(js)
        return config

    # ------------------------------------------------------------------ files

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        try:
            self.state = self._load(config)
        except KbError as error:
            raise PluginError(f"kb: {error}") from error
        state = self.state
        self._files = files
        self._blocks = {}
        state.note_files = {path: files.get_file_from_path(path) for path in state.notes
                            if files.get_file_from_path(path) is not None}
        folder = self.config.folder.strip("/")

        def add(src_uri: str, content: str | None = None, source: Path | None = None) -> File | None:
            if files.get_file_from_path(src_uri) is not None:
                log.warning(f"kb: the vault has its own {src_uri}; kb's generated page of that name is left out")
                return None
            file = (File.generated(config, src_uri, content=content) if source is None
                    else File.generated(config, src_uri, abs_src_path=str(source)))
            files.append(file)
            return file

        for asset in sorted(ASSETS.iterdir()):
            if asset.is_file():
                add(f"{ASSET_DIR}/{asset.name}", source=asset)
        if self.config.guide and GUIDE.is_dir():
            for guide_page in sorted(GUIDE.glob("*.md")):
                add(f"guide/{guide_page.name}", source=guide_page)

        tags_on = self._tags_plugin(config) is not None
        generated = {
            "missing": f"{folder}/missing.md", "fact_check": f"{folder}/fact-check.md",
            "lineage": f"{folder}/lineage.md", "graph": f"{folder}/graph.md",
            "models": f"{folder}/models/index.md", "tags": f"{folder}/tags.md" if tags_on else None,
        }
        model_uris = {model_id: f"{folder}/models/{model_id}.md" for model_id in self._models()}
        # Every page exists as a File before any content is made, so links between them resolve.
        placeholders = {key: add(uri, content="") for key, uri in generated.items() if uri}
        placeholders.update({("model", key): add(uri, content="") for key, uri in model_uris.items()})
        home = None if files.get_file_from_path("index.md") or files.get_file_from_path("README.md") \
            else add("index.md", content="")
        state.linker.tags_page = generated["tags"]
        tag_slug = self._tag_slug(config)
        if tag_slug is not None:
            state.linker.tag_slug = tag_slug

        def hrefs_from(file: File):
            def href(path: str, anchor: str | None = None) -> str:
                target = files.get_file_from_path(path)
                url = get_relative_url(target.url, file.url) if target is not None else "#"
                return url + (f"#{anchor}" if anchor else "")
            return href

        verdicts = state.report.verdicts if state.report is not None else ()
        contents: dict[File, str] = {}
        if placeholders.get("missing"):
            contents[placeholders["missing"]] = pages.missing_page(
                state.resolutions, state.notes, hrefs_from(placeholders["missing"]))
        if placeholders.get("fact_check"):
            contents[placeholders["fact_check"]] = pages.fact_check_page(
                verdicts, state.notes, hrefs_from(placeholders["fact_check"])) if self.config.check else \
                "# Fact check\n\nThe fact check is turned off for this site (`check: false`).\n"
        if placeholders.get("graph"):
            contents[placeholders["graph"]] = pages.graph_page(state.graph)
        if placeholders.get("tags"):
            contents[placeholders["tags"]] = pages.render("tags.md")
        if placeholders.get("lineage"):
            contents[placeholders["lineage"]] = self._lineage(state, placeholders["lineage"], hrefs_from,
                                                              model_uris, files)
        contents.update(self._model_pages(state, placeholders, model_uris, hrefs_from))
        if home is not None:
            contents[home] = self._home(state, hrefs_from(home), generated)
        for file, content in contents.items():
            file.content_string, self._blocks[file.src_uri] = stash_blocks(content)

        url_of = {path: file.url for path, file in state.note_files.items()}
        for path in state.vault.files:
            file = files.get_file_from_path(path)
            if file is not None:
                url_of[path] = file.url
        add(f"{ASSET_DIR}/graph.json", content=json.dumps(
            pages.graph_data(state.graph, url_of.get), ensure_ascii=False, separators=(",", ":")))
        add(f"{ASSET_DIR}/pages.json", content=json.dumps(
            self._summaries(state), ensure_ascii=False, separators=(",", ":")))
        self._add_redirects(state, files, config)
        return files

    def _load(self, config: MkDocsConfig) -> BuildState:
        from kb.check import check_vault
        from kb.graph import load_graph

        loaded = load_graph(Path(config.docs_dir))
        vault, resolutions, graph = loaded.vault, loaded.resolutions, loaded.graph
        notes = {note.path: note for note in vault.notes}
        measurements = self._measurements()
        report = check_vault(vault, resolutions=resolutions, index=loaded.index, measurements=measurements) \
            if self.config.check else None
        self.report = report
        if report is not None:
            diagnostics = report.diagnostics
        else:
            from kb.resolve import diagnostics as link_diagnostics
            diagnostics = (*vault.diagnostics, *link_diagnostics(resolutions))
        for diagnostic in diagnostics:
            (log.warning if diagnostic.severity == "error" or diagnostic.code == "ambiguous" else log.info)(
                f"kb: {diagnostic}")

        def read_body(path: str) -> tuple[list[str], int]:
            note = notes.get(path)
            start = note.frontmatter_end if note else 0
            try:
                text = (vault.root / path).read_text(encoding="utf-8-sig", errors="replace")
            except OSError:
                return [], start + 1
            lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            return lines[start:], start + 1

        linker = Linker(notes=notes, resolutions=by_link(resolutions), tags_page=None, read_body=read_body)
        verdicts = report.verdicts if report is not None else ()
        grouped: dict[str, list] = {}
        for verdict in verdicts:
            grouped.setdefault(verdict.claim.file, []).append(verdict)
        badges = {path: BadgeIndex.of(group) for path, group in grouped.items()}
        links_to: dict[str, list] = {}
        for resolution in resolutions:
            if resolution.target is not None:
                links_to.setdefault(resolution.target, []).append(resolution)
        return BuildState(vault=vault, notes=notes, resolutions=tuple(resolutions), graph=graph, report=report,
                          measurements=measurements, linker=linker, badges=badges, links_to=links_to)

    def _measurements(self) -> dict[str, Any]:
        """Cached measurements (measuring the rest when `measure` is on); a build never fails for want of them."""
        try:
            from kb.measure import load_measurements
        except ImportError as error:
            log.warning(f"kb: reference models unavailable ({error}); claims are checked against published results")
            return {}
        if not self.config.measure:
            return {}
        try:
            return dict(load_measurements())
        except Exception as error:  # noqa: BLE001 - torch failing must not take the site down
            log.warning(f"kb: could not measure the reference models ({type(error).__name__}: {error}); "
                        "claims are checked against published results only")
            return {}

    @staticmethod
    def _models() -> dict:
        try:
            from kb.models import MODELS
        except ImportError:
            return {}
        return dict(MODELS)

    @staticmethod
    def _tags_plugin(config: MkDocsConfig):
        for name, plugin in config.plugins.items():
            if name.split("/")[-1] == "tags" and type(plugin).__module__.startswith("material"):
                return plugin
        return None

    def _tag_slug(self, config: MkDocsConfig):
        plugin = self._tags_plugin(config)
        if plugin is None:
            return None
        slugify, separator = plugin.config.tags_slugify, plugin.config.tags_slugify_separator
        template = plugin.config.tags_slugify_format
        return lambda name: template.format(slug=slugify(name, separator)).removeprefix("tag:")

    # ------------------------------------------------------------------ generated content

    def _lineage(self, state: BuildState, file: File, hrefs_from, model_uris, files: Files) -> str:
        from kb.lineage import timeline
        try:
            from kb.models import FAMILIES, find_family
        except ImportError:
            FAMILIES, find_family = {}, (lambda text: None)  # noqa: N806
        href = hrefs_from(file)
        return pages.lineage_page(state.graph, timeline(state.graph), state.measurements, dict(FAMILIES),
                                  self._models(), find_family, href,
                                  lambda model_id: href(model_uris[model_id]) if model_id in model_uris else None)

    def _model_pages(self, state: BuildState, placeholders, model_uris, hrefs_from) -> dict[File, str]:
        models = self._models()
        if not models:
            return {}
        from kb.models import FAMILIES
        verdicts = state.report.verdicts if state.report is not None else ()
        anchors = pages.claim_anchors(verdicts, state.notes)
        contents: dict[File, str] = {}
        rows = []
        index_file = placeholders.get("models")
        for model_id, spec in models.items():
            file = placeholders.get(("model", model_id))
            if file is None:
                continue
            family = FAMILIES.get(spec.family)
            measurement = state.measurements.get(model_id)
            layers, columns = self._layers(model_id) if measurement is not None else ([], [])
            contents[file] = pages.model_page(
                spec, family.name if family else spec.family, measurement, layers, columns,
                pages.model_mentions(model_id, spec.family, verdicts, anchors, hrefs_from(file)))
            if index_file is not None:
                row = pages.measurement_row(measurement) or {"params": "—", "depth": "—", "macs": "—"}
                rows.append({"href": hrefs_from(index_file)(model_uris[model_id]), "name": spec.name,
                             "family": family.name if family else spec.family, **row})
        if index_file is not None:
            contents[index_file] = pages.models_page(rows)
        return contents

    def _layers(self, model_id: str) -> tuple[list[list[str]], list[str]]:
        """The layers that own parameters or do arithmetic; empty when `layers` is off or tracing fails."""
        if not self.config.layers:
            return [], []
        from kb.site.layers import layer_rows
        try:
            rows = layer_rows(model_id)
        except Exception as error:  # noqa: BLE001 - one model failing to trace must not take the site down
            log.warning(f"kb: no layer table for {model_id} ({type(error).__name__}: {error})")
            return [], []
        columns = ["Layer", "Type", "Output shape", "Parameters", "Multiply-adds"]
        return [[row["name"] or "(model)", row["type"], " × ".join(str(d) for d in row["output_shape"]),
                 f"{row['params']:,}", f"{row['macs']:,}"]
                for row in rows if row["params"] or row["macs"]], columns

    def _home(self, state: BuildState, href, generated: dict[str, str | None]) -> str:
        summary = state.report.summary if state.report is not None else None
        notes = sorted(state.notes.values(), key=lambda n: pages.note_title(n).casefold())
        links = {key: relative_href("index.md", uri) for key, uri in generated.items() if uri}
        return pages.render("home.md", notes=[{"href": href(n.path), "title": pages.note_title(n)} for n in notes],
                            summary=summary, links=links)

    def _summaries(self, state: BuildState) -> dict[str, dict]:
        index = {}
        for path, file in state.note_files.items():
            note = state.notes[path]
            lines, _ = state.linker.read_body(path)
            index[file.url] = {"title": pages.note_title(note), "aliases": list(note.aliases),
                               "summary": pages.summary(lines)}
        return index

    def _add_redirects(self, state: BuildState, files: Files, config: MkDocsConfig) -> None:
        """One page per alias at the URL a note of that name would have, sending the reader to the note."""
        taken = {file.dest_uri.casefold() for file in files}
        for path, note_file in state.note_files.items():
            note = state.notes[path]
            folder = posixpath.dirname(path)
            for alias in note.aliases:
                slug = pages.alias_slug(alias)
                if not slug:
                    continue
                twin = File(posixpath.join(folder, slug + ".md"), None, config.site_dir, config.use_directory_urls)
                if twin.dest_uri.casefold() in taken:
                    log.info(f"kb: {path}: alias {alias!r} has no redirect page: {twin.dest_uri} is taken")
                    continue
                taken.add(twin.dest_uri.casefold())
                content = pages.redirect_page(alias, pages.note_title(note),
                                              get_relative_url(note_file.url, twin.url))
                redirect = File.generated(config, twin.dest_uri, content=content)
                files.append(redirect)

    # ------------------------------------------------------------------ nav and pages

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        folder = self.config.folder.strip("/")

        def retitle(items) -> None:
            for item in items:
                if isinstance(item, Section):
                    first = next((p for p in item.children if getattr(p, "file", None)), None)
                    where = posixpath.dirname(first.file.src_uri) if first is not None else ""
                    if where == folder:
                        item.title = "Knowledge base"
                    elif where in (f"{folder}/models", "guide"):
                        item.title = SECTION_TITLES[posixpath.basename(where)]
                    retitle(item.children)

        retitle(nav.items)
        if self.config.nav_group_size > 0:
            nav.items = group_pages(nav.items, self.config.nav_group_size, parent=None)
        return nav

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        state = self.state
        note = state.notes.get(page.file.src_uri) if state is not None else None
        if note is None or page.file.generated_by:
            return markdown
        lines, first_line = state.linker.read_body(note.path)
        body = rewrite_lines(lines, first_line, note.path, note.path, state.linker,
                             badges=state.badges.get(note.path))

        # The theme prints titles and tags without escaping them: hand it escaped text.
        page.meta["title"] = html.escape(pages.note_title(note), quote=False)
        tags = sorted({tag.name for tag in note.tags})
        if tags:
            page.meta["tags"] = [html.escape(tag, quote=False) for tag in tags]
        else:
            page.meta.pop("tags", None)
        header = pages.note_header(note)
        return "\n\n".join(part for part in (header, body, FOOTER_MARK) if part) + "\n"

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Markup kb made itself goes in after rendering: the HTML blocks of generated pages, and a note's
        backlinks and local graph. It never passes through the markdown parser (which would re-parse every
        tag of a thousand-row table) and stays out of the search index (backlinks are about other notes)."""
        output = self._insert_blocks(output, page)
        return compact_html(output) if self.config.compact_html else output

    def _insert_blocks(self, output: str, page: Page) -> str:
        blocks = self._blocks.get(page.file.src_uri)
        if blocks:
            for marker, block in blocks.items():
                output = output.replace(marker, block, 1)
            return output
        state = self.state
        note = state.notes.get(page.file.src_uri) if state is not None else None
        if note is None or FOOTER_MARK not in output:
            return output
        files = self._files

        def href(path: str, anchor: str | None = None) -> str:
            target = files.get_file_from_path(path)
            return (get_relative_url(target.url, page.file.url) if target else "#") + (f"#{anchor}" if anchor else "")

        footer = pages.note_footer(pages.backlinks(note, state.links_to.get(note.path, ()), state.notes),
                                   pages.local_graph(state.graph, node_id(note.path), href), href)
        return output.replace(FOOTER_MARK, footer, 1)


_KEEPS_WHITESPACE = re.compile(r"<(pre|code|script|style|textarea)\b.*?</\1>", re.S | re.I)
_INDENT = re.compile(r"\n[ \t\n\r\f]+")   # HTML's own whitespace only: a no-break space is text


def compact_html(output: str) -> str:
    """Each line break with the blank lines and indentation after it becomes one line break, except inside
    elements whose whitespace shows (`pre`, `code`) or matters (`script`, `style`, `textarea`). Elsewhere a
    browser draws any such run as one space (or nothing, between blocks), so the page looks the same."""
    pieces, start = [], 0
    for kept in _KEEPS_WHITESPACE.finditer(output):
        pieces.append(_INDENT.sub("\n", output[start:kept.start()]))
        pieces.append(kept.group(0))
        start = kept.end()
    pieces.append(_INDENT.sub("\n", output[start:]))
    return "".join(pieces)


def group_pages(items: list, size: int, parent: Section | None) -> list:
    """Split a level of the navigation with more than `size` pages into alphabetical sections ("A–C")."""
    for item in items:
        if isinstance(item, Section):
            item.children = group_pages(item.children, size, parent=item)
    pages_here = [item for item in items if isinstance(item, Page) and not item.is_index]
    if len(pages_here) <= size:
        return items
    pages_here.sort(key=lambda p: (str(p.title or p.file.name).casefold(), p.file.src_uri))
    groups = []
    for start in range(0, len(pages_here), size):
        chunk = pages_here[start:start + size]
        first, last = (_initial(p) for p in (chunk[0], chunk[-1]))
        section = Section(title=first if first == last else f"{first}–{last}", children=chunk)
        section.parent = parent
        for child in chunk:
            child.parent = section
        groups.append(section)
    grouped = set(map(id, pages_here))
    kept = [item for item in items if id(item) not in grouped]
    return [item for item in kept if not isinstance(item, Section)] + groups + \
        [item for item in kept if isinstance(item, Section)]


def _initial(page: Page) -> str:
    title = html.unescape(str(page.title or page.file.name)).strip()
    return title[:1].upper() or "?"


_BLOCK = re.compile(r'^<(div|figure|ul) class="kb-[^"]*"[^>]*>.*?^</\1>$', re.M | re.S)


def stash_blocks(markdown_text: str) -> tuple[str, dict[str, str]]:
    """Replace each top-level `<div|figure|ul class="kb-...">` block by a marker; return both."""
    blocks: dict[str, str] = {}

    def stash(match: re.Match) -> str:
        marker = f"<!-- kb:block:{len(blocks)} -->"
        blocks[marker] = match.group(0).replace(' markdown="0"', "")
        return marker

    return _BLOCK.sub(stash, markdown_text), blocks
