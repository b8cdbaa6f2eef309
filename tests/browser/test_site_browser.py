"""End to end: the built site in headless chromium, as a reader uses it."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def open_page(tab, site_url: str, path: str):
    tab.page.goto(site_url + path)
    tab.page.wait_for_load_state("networkidle")
    return tab.page


def test_wikilink_leads_to_the_note_which_shows_the_backlink(tab, site_url):
    page = open_page(tab, site_url, "ResNet/")
    tab.screenshot("resnet")
    page.locator(".md-content a", has_text=re.compile(r"^AlexNet$")).first.click()
    page.wait_for_url(re.compile(r"/AlexNet/$"))
    backlinks = page.locator(".kb-backlinks")
    link = backlinks.locator("a", has_text=re.compile(r"^ResNet$"))
    assert link.count() == 1
    # The sentence around the link in ResNet.md is quoted under it.
    assert "predecessor" in backlinks.inner_text()
    tab.screenshot("alexnet")
    tab.assert_clean()


def test_contradicted_top5_error_of_resnet152_carries_its_evidence(tab, site_url):
    page = open_page(tab, site_url, "ResNet/")
    row = page.locator("tr", has=page.locator("td", has_text=re.compile(r"^ResNet-152$")))
    headers = [h.strip() for h in row.locator("xpath=ancestor::table").locator("th").all_inner_texts()]
    cell = row.locator("td").nth(headers.index("Top-5 error"))
    assert "6.2%" in cell.inner_text()
    badge = cell.locator(".kb-badge")
    assert badge.count() == 1
    assert "kb-badge-contradicted" in badge.get_attribute("class")
    assert "contradicted" in badge.inner_text()          # a word, not colour alone
    evidence = badge.get_attribute("aria-label")
    assert "6.2%" in evidence and "reference" in evidence and "evidence:" in evidence
    badge.hover()
    bubble = page.locator(".kb-evidence")
    bubble.wait_for()
    assert bubble.inner_text() == evidence
    tab.screenshot("resnet-badge-hover")
    # The Fact check page links to this very badge.
    badge_id = badge.get_attribute("id")
    page = open_page(tab, site_url, "kb/fact-check/")
    tab.screenshot("fact-check")
    page.locator(f'#contradicted ~ div a[href$="#{badge_id}"]').first.click()
    page.wait_for_url(re.compile(rf"/ResNet/#{badge_id}$"))
    tab.assert_clean()


def test_search_finds_resnet_by_a_word_of_its_text(tab, site_url):
    page = open_page(tab, site_url, "")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("residual", delay=30)
    result = page.locator(".md-search-result__link", has_text="ResNet").first
    result.wait_for(timeout=15000)
    assert re.search(r"ResNet/", result.get_attribute("href"))
    tab.screenshot("search")
    tab.assert_clean()


def test_graph_page_opens_the_note_of_a_clicked_node(tab, site_url):
    page = open_page(tab, site_url, "kb/graph/")
    node = page.locator('.kb-gnode[data-id="AlexNet"]')
    node.wait_for()
    assert page.locator(".kb-gnode").count() >= 5
    assert page.locator(".kb-gnode.kb-node-missing").count() >= 1   # dangling targets, drawn apart
    tab.screenshot("graph")
    node.click()
    page.wait_for_url(re.compile(r"/AlexNet/$"))
    tab.assert_clean()


def test_hovering_an_internal_link_previews_the_note(tab, site_url):
    page = open_page(tab, site_url, "ResNet/")
    page.locator(".md-content a", has_text=re.compile(r"^AlexNet$")).first.hover()
    preview = page.locator(".kb-preview")
    preview.wait_for()
    assert preview.locator(".kb-preview-title").inner_text() == "AlexNet"
    assert len(preview.inner_text()) > 40
    tab.screenshot("preview")
    tab.assert_clean()


def test_alias_redirects_to_its_note(tab, site_url):
    page = tab.page
    page.goto(site_url + "Residual Network/")
    page.wait_for_url(re.compile(r"/ResNet/$"))
    tab.assert_clean()


@pytest.mark.parametrize("path", ["Hostile/", "%3Csvg%20onload%3Dwindow.__kbPwned%3D1%3E/", "kb/graph/",
                                  "kb/missing/", "ResNet/"])
def test_markup_in_titles_aliases_and_labels_never_runs(tab, site_url, path):
    page = open_page(tab, site_url, path)
    page.mouse.move(10, 10)
    for link in page.locator(".md-content a").all()[:40]:
        if link.is_visible():
            link.hover()
    assert page.evaluate("window.__kbPwned") is None
    tab.assert_clean()


def test_hostile_note_shows_its_markup_as_text(tab, site_url):
    page = open_page(tab, site_url, "Hostile/")
    assert "<script>window.__kbPwned = 'title'</script>Hostile" in page.locator("h1").first.inner_text()
    assert "<script>" in page.locator(".md-content").inner_text()
    tab.screenshot("hostile")
    tab.assert_clean()


@pytest.mark.parametrize("path,name", [("", "home"), ("kb/lineage/", "lineage"), ("kb/missing/", "missing"),
                                       ("kb/models/", "models"), ("kb/models/resnet50/", "model-resnet50")])
def test_generated_pages_render_cleanly(tab, site_url, path, name):
    page = open_page(tab, site_url, path)
    assert page.locator("h1").count() >= 1
    tab.screenshot(name)
    tab.assert_clean()
