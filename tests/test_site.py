"""`kb build`: the site a user gets from notes/, and what the command promises around it."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from kb.cli import main as kb_main

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

EXTRA_NOTE = """---
aliases: [Extra note]
---
Links to [[ResNet#Architecture variants]] and to [[Nobody Wrote This]].
"""


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """notes/ plus one note, built with kb's default configuration (no mkdocs.yml in the working folder)."""
    work = tmp_path_factory.mktemp("site")
    vault = work / "notes"
    shutil.copytree(REPO / "notes", vault)
    (vault / "Extra.md").write_text(EXTRA_NOTE, encoding="utf-8")
    before = snapshot(vault)
    site = work / "site"
    return {"work": work, "vault": vault, "site": site, "before": before}


@pytest.fixture(scope="module")
def built(build, capsys_module):
    import os
    previous = os.getcwd()
    os.chdir(build["work"])
    try:
        code = kb_main(["build", "notes", "-q"])
    finally:
        os.chdir(previous)
    build["code"] = code
    build["output"] = capsys_module()
    return build


@pytest.fixture(scope="module")
def capsys_module():
    """Module-scoped capture of what the one shared build printed (pytest's capsys is per test)."""
    import contextlib
    import io
    buffer = io.StringIO()
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(buffer))
    yield lambda: (stack.close(), buffer.getvalue())[1]
    stack.close()


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def test_build_exits_0_with_contradicted_claims_and_prints_the_summary(built):
    assert built["code"] == 0
    assert re.search(r"fact check: \d+ claims: \d+ verified, \d+ approximate, [1-9]\d* contradicted", built["output"])
    assert (built["site"] / "index.html").is_file()


def test_the_vault_is_left_exactly_as_it_was(built):
    assert snapshot(built["vault"]) == built["before"]


def test_every_note_is_a_page_and_links_between_notes_work(built):
    site = built["site"]
    resnet = page(site, "ResNet")
    assert re.search(r'<a href="\.\./AlexNet/">AlexNet</a>', resnet)
    extra = page(site, "Extra")
    assert '<a href="../ResNet/#architecture-variants">ResNet &gt; Architecture variants</a>' in extra
    assert '<span class="kb-missing"' in extra and "Nobody Wrote This" in extra


def test_badge_ids_linked_from_the_fact_check_page_exist_where_they_point(built):
    site = built["site"]
    fact_check = page(site, "kb/fact-check")
    targets = re.findall(r'href="\.\./\.\./([^"#]+)#(kb-claim-[^"]+)"', fact_check)
    assert targets
    for url, anchor in targets:
        assert f'id="{anchor}"' in page(site, url.rstrip("/")), (url, anchor)
    contradicted = fact_check[fact_check.index('id="contradicted"'):fact_check.index('id="approximate"')]
    assert "ResNet.md:" in contradicted and "6.2%" in contradicted


def test_missing_notes_page_lists_dangling_targets_with_where_they_are_linked(built):
    missing = page(built["site"], "kb/missing")
    for name in ("Microsoft", "Kaiming He", "Nobody Wrote This"):
        assert name in missing
    assert 'href="../../Extra/"' in missing


def test_note_text_is_searchable_but_kb_badges_and_footer_are_not(built):
    import json
    index = json.loads((built["site"] / "search" / "search_index.json").read_text(encoding="utf-8"))
    variants = next(doc for doc in index["docs"] if doc["location"] == "ResNet/#architecture-variants")
    assert "ResNet-152" in variants["text"] and "6.2%" in variants["text"]
    assert not re.search(r"verified|approximate|contradicted", variants["text"]), variants["text"]
    assert not any("Backlinks" in doc["text"] or "Local graph" in doc["title"] for doc in index["docs"])
    resnet = page(built["site"], "ResNet")
    assert "kb-badge-contradicted" in resnet and "data-search-exclude=\"1\"" not in resnet


def test_each_alias_has_a_redirect_page_and_is_searchable(built):
    site = built["site"]
    redirect = (site / "Residual Network" / "index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../ResNet/">' in redirect
    assert '<link rel="canonical" href="../ResNet/">' in redirect
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "Residual Network" in index


def test_nothing_is_loaded_from_another_host(built):
    external = re.compile(r'<(?:link|script|img|iframe|source)\b[^>]*\b(?:href|src)="(?:https?:)?//', re.I)
    for html in built["site"].rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not external.search(text), html
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, html


def test_generated_pages_and_scripts_data_exist(built):
    site = built["site"]
    for url in ("kb/lineage", "kb/graph", "kb/models", "kb/models/resnet50", "kb/tags"):
        assert (site / url / "index.html").is_file(), url
    lineage = page(site, "kb/lineage")
    assert lineage.count("<svg") >= 3
    assert (site / "assets" / "kb" / "graph.json").is_file()
    assert (site / "assets" / "kb" / "pages.json").is_file()


def test_model_pages_show_where_the_papers_figures_and_the_definition_differ(built):
    site = built["site"]
    transformer = page(site, "kb/models/transformer_base")
    section = transformer[transformer.index('id="the-papers-figures-and-this-definition"'):]
    section = section[:section.index("</div>")]
    assert "Table 3 says 65 M" in section and "63,045,632" in section
    googlenet = page(site, "kb/models/googlenet")
    assert "sums to about 6.8 M" in googlenet and "6,998,552 parameters" in googlenet
    # a model whose docstring sets no printed figure against the definition has no such section
    assert "the-papers-figures-and-this-definition" not in page(site, "kb/models/vgg16")
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "63,045,632" in index


def test_documented_discrepancies_are_escaped_and_keep_code_spans():
    from types import SimpleNamespace

    from kb.site import pages

    doc = ("Net (Table 1).\n\nOpening words.\n\nParameters: the paper says <b>5 M</b>; this definition has\n"
           "5,100,000 (`net_v2` & <script>alert(1)</script>).\n\nMeasuring needs no paper here.")
    spec = SimpleNamespace(id="net", name="Net", paper=None, where="", summary="", doc=lambda: doc)
    text = pages.model_page(spec, "Net family", None, [], [], [])
    assert "<script>" not in text and "<b>" not in text
    assert ("<p>Parameters: the paper says &lt;b&gt;5 M&lt;/b&gt;; this definition has 5,100,000 "
            "(<code>net_v2</code> &amp; &lt;script&gt;alert(1)&lt;/script&gt;).</p>") in text
    assert "Opening words" not in text and "Measuring needs no paper here" not in text   # no figure in them
    assert pages.model_page(SimpleNamespace(**{**vars(spec), "doc": lambda: "Net."}), "Net family", None,
                            [], [], []).count("admonition") == 0


def test_strict_fails_on_contradicted_claims_but_still_builds(built, tmp_path, monkeypatch):
    monkeypatch.chdir(built["work"])
    site = tmp_path / "strict-site"
    assert kb_main(["build", "notes", "--site-dir", str(site), "-q"]) == 0
    assert kb_main(["build", "notes", "--site-dir", str(site), "-q", "--strict"]) == 1
    assert (site / "ResNet" / "index.html").is_file()


def test_a_failed_build_leaves_the_old_site_in_place(built, tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.html").write_text("the previous site", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    # strict mode turns kb's warning about an ambiguous link into a failed build
    config.write_text("site_name: t\nstrict: true\ntheme:\n  name: material\n  font: false\nplugins:\n  - kb\n",
                      encoding="utf-8")
    vault = tmp_path / "vault"
    (vault / "a").mkdir(parents=True)
    (vault / "b").mkdir()
    (vault / "a" / "Twin.md").write_text("one\n", encoding="utf-8")
    (vault / "b" / "Twin.md").write_text("two\n", encoding="utf-8")
    (vault / "Start.md").write_text("See [[Twin]].\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert kb_main(["build", "vault", "--config-file", str(config), "--site-dir", str(site), "-q"]) == 2
    assert "unchanged" in capsys.readouterr().err
    assert [p.name for p in site.iterdir()] == ["old.html"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_a_configuration_without_the_kb_plugin_is_refused(tmp_path, capsys):
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\nplugins:\n  - search\n", encoding="utf-8")
    (tmp_path / "vault").mkdir()
    code = kb_main(["build", str(tmp_path / "vault"), "--config-file", str(config)])
    assert code == 2
    assert "kb plugin is not enabled" in capsys.readouterr().err


def test_a_site_dir_inside_the_vault_is_refused(tmp_path, capsys):
    (tmp_path / "vault").mkdir()
    (tmp_path / "vault" / "A.md").write_text("a\n", encoding="utf-8")
    code = kb_main(["build", str(tmp_path / "vault"), "--site-dir", str(tmp_path / "vault" / "site")])
    assert code == 2
    assert "inside the vault" in capsys.readouterr().err
    assert not (tmp_path / "vault" / "site").exists()


def test_a_big_folder_is_shown_as_alphabetical_groups_and_pages_carry_only_their_group(tmp_path, monkeypatch):
    vault = tmp_path / "vault"
    vault.mkdir()
    for name in ("Alpha", "Beta", "Delta", "Epsilon", "Gamma"):
        (vault / f"{name}.md").write_text(f"The note {name}.\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\ntheme:\n  name: material\n  font: false\n  features: [navigation.prune]\n"
                      "plugins:\n  - kb:\n      nav_group_size: 2\n      check: false\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert kb_main(["build", "vault", "--config-file", str(config), "--site-dir", "out", "-q"]) == 0
    alpha = page(tmp_path / "out", "Alpha")
    for group in ("A–B", "D–E", "G"):
        assert re.search(rf">\s*{group}\s*<", alpha), group
    assert 'href="../Beta/"' in alpha          # its own group is listed
    assert 'href="../Epsilon/"' not in alpha   # other groups are pruned (a group links only its first page)


def test_guide_code_blocks_are_highlighted_at_build_time(built):
    guide = page(built["site"], "guide/adding-a-model")
    assert '<div class="highlight"><span class="filename">kb-densenet/kb_densenet/__init__.py</span>' in guide
    assert '<span class="kn">from</span>' in guide          # Pygments' classes, styled by the theme's CSS


def test_the_repository_configuration_and_kb_default_share_their_markdown_extensions():
    import yaml
    repository = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    default = yaml.safe_load((REPO / "kb" / "site" / "templates" / "mkdocs.yml").read_text(encoding="utf-8"))
    assert repository["markdown_extensions"] == default["markdown_extensions"]
    assert {"pymdownx.highlight", "pymdownx.superfences"} <= {
        next(iter(e)) if isinstance(e, dict) else e for e in default["markdown_extensions"]}


def test_the_user_guide_is_part_of_the_site(built):
    guide = sorted((REPO / "kb" / "guide").glob("*.md"))
    for source in guide:
        url = "guide" if source.stem in ("index", "README") else f"guide/{source.stem}"
        assert (built["site"] / url / "index.html").is_file(), url
