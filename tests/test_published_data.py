"""The cited-results file and the vault's notes: schema, provenance, format, and verdicts.

Two halves. `kb/data/published.yaml` must load through its validating loader,
cite only known sources and subjects, and carry the figures the fact-checker's
acceptance cases rely on; a malformed file must fail with a message naming the
offending result. The notes of `notes/` (besides the user's seed) must keep the
seed's format and form one connected lineage, and every figure they state must
come out verified.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kb.data import (
    ATTRIBUTES,
    BENCHMARKS,
    EVALUATED,
    PUBLISHED_PATH,
    PublishedDataError,
    load_published,
    parse_published,
)
from kb.errors import KbError
from kb.models import FAMILIES, MODELS

NOTES = Path(__file__).resolve().parents[1] / "notes"
ARCHITECTURES = {"AlexNet.md": "alexnet", "VGGNet.md": "vgg", "GoogLeNet.md": "googlenet",
                 "Transformer.md": "transformer"}
OWN_NOTES = (*ARCHITECTURES, "ImageNet.md")
LINEAGE = ("AlexNet", "VGGNet", "GoogLeNet", "ResNet", "Transformer")


@pytest.fixture(scope="module")
def published():
    return load_published()


# ---- the shipped data file -------------------------------------------------------------------

def test_every_result_cites_a_known_source_and_subject(published):
    subjects = set(MODELS) | set(FAMILIES)
    assert len(published.results) > 150
    for result in published.results:
        assert result.source in published.sources, result.label
        assert result.subject in (BENCHMARKS if result.attribute == "human_top5_error" else subjects), result.label
        assert result.attribute in ATTRIBUTES and result.where.strip(), result.label


def test_values_are_in_the_units_the_schema_names(published):
    for result in published.results:
        if result.attribute in EVALUATED:
            assert 0 < result.value < 100 and result.split in ("val", "test") and result.dataset, result.label
            assert result.protocol, f"{result.label}: an error rate or BLEU needs its protocol"
        elif result.attribute == "params":
            assert 1e5 <= result.value <= 1e9 and float(result.value).is_integer(), result.label
        elif result.attribute == "macs":
            assert 1e8 <= result.value <= 1e11, result.label
        elif result.attribute == "layers":
            assert isinstance(result.value, int) and 8 <= result.value <= 1202, result.label
        elif result.attribute == "year":
            assert 2012 <= result.value <= 2017, result.label


def test_sources_agree_with_the_papers_the_model_registry_cites(published):
    papers = {spec.paper.key: spec.paper for spec in (*MODELS.values(), *FAMILIES.values())}
    shared = set(papers) & set(published.sources)
    assert {"krizhevsky2012", "simonyan2014", "szegedy2014", "he2015", "vaswani2017"} <= shared
    for key in shared:
        source, paper = published.sources[key], papers[key]
        assert (source.title, source.year) == (paper.title, paper.year), key
        assert source.authors.split(",")[0] == paper.authors.split(",")[0], key


def test_family_years_match_the_registry(published):
    years = {r.subject: r.value for r in published.results if r.attribute == "year"}
    assert set(years) == set(FAMILIES)
    for family, year in years.items():
        assert FAMILIES[family].year == year, family


def test_torchvision_errors_are_one_hundred_minus_the_quoted_accuracy(published):
    quoted = re.compile(r"acc@([15]) (\d+\.\d+)")
    checked = 0
    for result in published.results:
        if result.source != "torchvision":
            continue
        k, accuracy = quoted.search(result.where).groups()
        assert result.attribute == f"top{k}_error", result.label
        assert result.value == pytest.approx(100 - float(accuracy), abs=1e-9), result.label
        checked += 1
    assert checked == 28


@pytest.mark.parametrize("source, tables", [
    ("krizhevsky2012", {"Table 1", "Table 2"}),
    ("simonyan2014", {"Table 2", "Table 3", "Table 4", "Table 5", "Table 6", "Table 7"}),
    ("szegedy2014", {"Table 2", "Table 3"}),
    ("he2015", {"Table 1", "Table 3", "Table 4", "Table 5", "Table 6"}),
    ("vaswani2017", {"Table 2", "Table 3"}),
])
def test_each_papers_result_tables_are_covered(published, source, tables):
    cited = {match for r in published.results if r.source == source
             for match in re.findall(r"Table \d+", r.where)}
    assert tables <= cited


def test_the_seed_notes_resnet152_figure_matches_no_published_result(published):
    # The fact-checker's first acceptance case: the seed's 6.2% must stay contradicted.
    errors = {r.value for r in published.about("resnet152", "top5_error")}
    assert {5.71, 4.49, 5.954, 3.998} <= errors
    assert [r.value for r in published.about("resnet", "top5_error")] == [3.57]
    assert all(abs(value - 6.2) >= 0.1 for value in errors)


def test_lookups_by_subject_keep_file_order_and_filter_by_attribute(published):
    vgg16 = published.about("vgg16")
    assert [r.number for r in vgg16] == sorted(r.number for r in vgg16)
    assert [r.value for r in published.about("vgg16", "params")] == [138_000_000]
    assert published.about("no-such-model") == ()
    ensemble = published.about("resnet", "top5_error")[0]
    assert published.cite(ensemble).startswith("He et al. 2015, Table 5")


# ---- the loader on bad input -----------------------------------------------------------------

SUBJECTS = frozenset({"resnet152", "resnet", "vgg16"})
VALID = {
    "sources": {"he2015": {"authors": "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun",
                           "title": "Deep Residual Learning for Image Recognition", "year": 2015,
                           "venue": "arXiv:1512.03385"}},
    "results": [{"subject": "resnet152", "attribute": "top5_error", "value": 4.49, "source": "he2015",
                 "where": "Table 4", "protocol": "single model", "split": "val", "dataset": "imagenet"}],
}


def broken(result_changes=None, **top):
    document = {"sources": dict(VALID["sources"]), "results": [dict(VALID["results"][0])]}
    document["results"][0].update(result_changes or {})
    document["results"][0] = {k: v for k, v in document["results"][0].items() if v is not None}
    document.update(top)
    return yaml.safe_dump(document, sort_keys=False)


def problems(text: str) -> str:
    with pytest.raises(PublishedDataError) as raised:
        parse_published(text, subjects=SUBJECTS)
    return str(raised.value)


def test_a_valid_file_parses_into_typed_records():
    published = parse_published(broken(), subjects=SUBJECTS)
    (result,) = published.results
    assert (result.number, result.subject, result.value, result.split) == (1, "resnet152", 4.49, "val")
    assert published.sources["he2015"].cite() == "He et al. 2015"


@pytest.mark.parametrize("changes, message", [
    ({"source": "he2016"}, "result 1 (resnet152 top5_error): unknown source 'he2016'"),
    ({"subject": "resnet153"}, "result 1 (resnet153 top5_error): unknown subject 'resnet153'"),
    ({"attribute": "top5_eror"}, "unknown attribute 'top5_eror'"),
    ({"value": 449}, "value 449 is outside the plausible range 0 to 100 for top5_error"),
    ({"value": "4.49%"}, "'value' must be a number, found '4.49%'"),
    ({"value": True}, "'value' must be a number"),
    ({"split": "train"}, "split must be 'val', 'test' or empty, found 'train'"),
    ({"dataset": None}, "an evaluated figure needs its dataset and split"),
    ({"dataset": "imagenet21k"}, "unknown dataset 'imagenet21k'"),
    ({"where": None}, "result 1 (resnet152 top5_error): missing 'where'"),
    ({"where": "  "}, "'where' must be non-empty text"),
    ({"spilt": "val"}, "unknown field 'spilt'"),
    ({"subject": "imagenet", "attribute": "params", "value": 1000, "dataset": None, "split": None},
     "unknown subject 'imagenet'"),
    ({"attribute": "human_top5_error", "value": 5.1}, "human_top5_error belongs to a benchmark"),
    ({"attribute": "params", "value": 25.6, "dataset": None, "split": None},
     "value 25.6 is outside the plausible range"),
    ({"attribute": "layers", "value": 50.5, "dataset": None, "split": None}, "layers must be a whole number"),
])
def test_a_broken_result_is_named_with_what_is_wrong(changes, message):
    assert message in problems(broken(changes))


def test_every_problem_is_reported_at_once():
    text = broken({"source": "he2016"})
    document = yaml.safe_load(text)
    document["results"].append({**document["results"][0], "subject": "vgg17", "source": "he2015"})
    report = problems(yaml.safe_dump(document))
    assert "2 problems" in report
    assert "result 1 (resnet152 top5_error): unknown source 'he2016'" in report
    assert "result 2 (vgg17 top5_error): unknown subject 'vgg17'" in report


@pytest.mark.parametrize("text, message", [
    ("sources: {a: [1, 2\nresults: []\n", "published.yaml:2: invalid YAML: did not find expected"),
    ("sources: {}\nresults:\n  - {subject: vgg16, value: 1, value: 2}\n",
     "published.yaml:3: invalid YAML: duplicate key 'value' in one entry"),
    ("- just\n- a list\n", "expected a mapping with 'sources' and 'results', found a list"),
    ("", "found nothing"),
    ("sources: {}\nresults: []\n", "'sources' must be a non-empty mapping"),
])
def test_an_unusable_document_says_what_was_expected(text, message):
    assert message in problems(text)


def test_repeated_results_and_unused_sources_are_reported():
    document = yaml.safe_load(broken())
    document["results"].append(dict(document["results"][0]))
    document["sources"]["unused2020"] = {**document["sources"]["he2015"], "year": 2020}
    report = problems(yaml.safe_dump(document))
    assert "result 2 (resnet152 top5_error): repeats result 1" in report
    assert "source 'unused2020' is not cited by any result" in report


def test_a_source_needs_its_year_and_text_fields():
    document = yaml.safe_load(broken())
    document["sources"]["he2015"].update(year="2015", title=None)
    report = problems(yaml.safe_dump(document))
    assert "source 'he2015': 'year' must be a year such as 2015, found '2015'" in report
    assert "source 'he2015': 'title' must be non-empty text, found None" in report


def test_unreadable_files_are_usage_errors_not_tracebacks(tmp_path):
    with pytest.raises(KbError, match="missing.yaml: cannot read published results"):
        load_published(tmp_path / "missing.yaml", subjects=SUBJECTS)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(broken().replace("Deep", "D\xe9ep").encode("latin-1"))
    with pytest.raises(KbError, match="latin1.yaml: not valid UTF-8"):
        load_published(latin1, subjects=SUBJECTS)


def test_a_file_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + broken().encode())
    assert len(load_published(path, subjects=SUBJECTS).results) == 1


def test_the_default_file_is_the_packaged_one():
    assert PUBLISHED_PATH.name == "published.yaml" and PUBLISHED_PATH.parent.name == "data"
    assert load_published() is load_published()


# ---- the notes -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vault():
    from kb.vault import load_vault

    return load_vault(NOTES)


@pytest.fixture(scope="module")
def resolutions(vault):
    from kb.resolve import resolve_vault

    return resolve_vault(vault)


def section(note_path: str, heading: str) -> list[str]:
    """The lines under `## heading`, up to the next heading."""
    lines = (NOTES / note_path).read_text(encoding="utf-8").splitlines()
    start = lines.index(f"## {heading}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return [line for line in lines[start:end] if line.strip() and line.strip() != "---"]


def test_the_vault_holds_the_seed_and_the_five_notes(vault):
    assert {note.path for note in vault.notes} == {"ResNet.md", *OWN_NOTES}
    assert not [d for d in vault.diagnostics if d.file in OWN_NOTES]


@pytest.mark.parametrize("path", OWN_NOTES)
def test_each_note_has_aliases_and_the_seeds_tags(vault, path):
    note = vault.note(path)
    assert note.aliases and isinstance(note.frontmatter.get("aliases"), list)
    tags = {tag.name for tag in note.tags}
    assert {"concept", "ai"} <= tags
    assert ("architecture" in tags) == (path in ARCHITECTURES)


@pytest.mark.parametrize("path", OWN_NOTES)
def test_each_note_opens_with_a_key_facts_table(vault, path):
    table = vault.note(path).tables[0]
    assert [cell.text for cell in table.header] == ["Metric", "Value"]
    keys = {row[0].text for row in table.rows}
    if path in ARCHITECTURES:
        assert {"Paper", "Authors", "Year", "Depth"} <= keys
        year = next(row[1].text for row in table.rows if row[0].text == "Year")
        assert int(year) == FAMILIES[ARCHITECTURES[path]].year == vault.note(path).frontmatter["year"]


@pytest.mark.parametrize("path", ARCHITECTURES)
def test_each_architecture_places_itself_in_the_lineage_table(vault, path):
    (table,) = [t for t in vault.note(path).tables if t.section == "Lineage position"]
    assert [cell.text for cell in table.header] == ["Year", "Architecture", "Layers", "Innovation"]
    names = [re.sub(r"[*\[\]]", "", row[1].text) for row in table.rows]
    years = [int(re.sub(r"\D", "", row[0].text)) for row in table.rows]
    assert names == list(LINEAGE) and years == sorted(years)
    title = Path(path).stem
    for row, name in zip(table.rows, names):
        linked = [link.target for link in row[1].links]
        # every other architecture is a link; the note's own row is bold, not a link to itself
        assert linked == ([] if name == title else [name])
        assert row[1].text.startswith("**") == (name == title)


@pytest.mark.parametrize("path", ARCHITECTURES)
def test_frontmatter_names_the_neighbours_in_the_lineage(vault, path):
    position = LINEAGE.index(Path(path).stem)
    front = vault.note(path).frontmatter
    before = [f"[[{LINEAGE[position - 1]}]]"] if position > 0 else None
    after = [f"[[{LINEAGE[position + 1]}]]"] if position + 1 < len(LINEAGE) else None
    assert front.get("predecessors") == before and front.get("successors") == after


@pytest.mark.parametrize("path", OWN_NOTES)
def test_related_links_each_carry_a_role(path):
    items = section(path, "Related")
    assert items
    for item in items:
        assert re.fullmatch(r"- \[\[[^\]]+\]\] — \S.*", item), item


@pytest.mark.parametrize("path", ARCHITECTURES)
def test_sources_name_the_paper_and_its_tables(vault, path):
    text = " ".join(section(path, "Sources"))
    paper = FAMILIES[ARCHITECTURES[path]].paper
    assert paper.title in text and "Table" in text and "Section" in text


def test_every_link_in_the_notes_resolves(resolutions):
    ours = [r for r in resolutions if r.source in OWN_NOTES]
    assert ours and [(r.source, r.link.line, r.link.target) for r in ours if r.status != "ok"] == []


def test_the_notes_form_one_lineage_in_year_order(vault, resolutions):
    from kb.graph import build_graph
    from kb.lineage import infer_lineage, timeline

    lineage = infer_lineage(vault)
    assert lineage.diagnostics == ()
    assert timeline(build_graph(vault, resolutions, lineage=lineage)) == list(LINEAGE)


@pytest.mark.slow
def test_every_figure_in_the_notes_comes_out_verified(vault):
    from kb.check import check_vault
    from kb.measure import load_measurements

    needed = [model.id for model in MODELS.values()
              if model.family in ("alexnet", "vgg", "googlenet", "transformer")] + ["resnet152"]
    report = check_vault(vault, only=OWN_NOTES, measurements=load_measurements(needed))
    assert len(report.verdicts) > 100
    assert [(v.claim.file, v.claim.line, v.claim.text, v.verdict) for v in report.verdicts
            if v.verdict != "verified"] == []
