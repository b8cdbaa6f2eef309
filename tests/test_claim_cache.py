"""The claims cache: unchanged notes' claims come back equal; any change that could alter them is seen."""

from __future__ import annotations

from pathlib import Path

import pytest

import kb.claim_cache
from kb.check import check_vault
from kb.vault import load_vault

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def references():
    """The measurements, from the suite's cache: the tests below give each run a cache of its own."""
    from kb.check import load_references

    return load_references()


@pytest.fixture
def extracted(monkeypatch):
    """Paths of the notes whose claims were extracted (not read from the cache)."""
    paths: list[str] = []
    real = kb.claim_cache.extract_claims

    def counting(note, identify):
        paths.append(note.path)
        return real(note, identify)

    monkeypatch.setattr(kb.claim_cache, "extract_claims", counting)
    return paths


def verdicts(report) -> list[tuple]:
    return [(v.claim, v.verdict, v.expected, v.evidence, v.alternatives) for v in report.verdicts]


@pytest.mark.parametrize("root", [REPO / "notes", REPO / "tests" / "check_vaults" / "forms"], ids=lambda p: p.name)
def test_cached_claims_give_the_same_report(root, cache, extracted, references):
    fresh = check_vault(load_vault(root, use_cache=False), references=references)
    first = check_vault(load_vault(root), references=references)
    count = len(extracted)
    again = check_vault(load_vault(root), references=references)
    assert len(extracted) == count                  # every note's claims came from the cache
    assert list(cache.glob("parse/*.claims"))
    assert verdicts(again) == verdicts(first) == verdicts(fresh)
    assert again.diagnostics == fresh.diagnostics and again.summary == fresh.summary


def write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")


def test_only_a_changed_note_is_read_again(tmp_path, cache, extracted, references):
    root = tmp_path / "v"
    root.mkdir()
    write(root, "A.md", "| Model | Params |\n|---|---|\n| ResNet-50 | 25.6M |\n")
    write(root, "B.md", "| Model | Layers |\n|---|---|\n| VGG-16 | 16 |\n")
    check_vault(load_vault(root), references=references)
    write(root, "B.md", "| Model | Layers |\n|---|---|\n| VGG-16 | 19 |\n")
    report = check_vault(load_vault(root), references=references)
    assert extracted == ["A.md", "B.md", "B.md"]
    assert [(v.claim.file, v.claim.stated.text, v.verdict) for v in report.verdicts] == [
        ("A.md", "25.6M", "verified"), ("B.md", "19", "contradicted")]


def test_a_note_that_names_another_differently_now_changes_claims_of_unchanged_notes(tmp_path, cache, extracted, references):
    root = tmp_path / "v"
    root.mkdir()
    write(root, "Survey.md", "| Model | Params |\n|---|---|\n| [[Mystery]] | 25.6M |\n")
    write(root, "Mystery.md", "A note about some network.\n")
    before = check_vault(load_vault(root), references=references)
    assert [(v.claim.subject.model, v.verdict) for v in before.verdicts] == [(None, "unverifiable")]
    write(root, "Mystery.md", "---\nmodel: ResNet-50\n---\nA note about ResNet-50.\n")
    after = check_vault(load_vault(root), references=references)   # Survey.md's bytes did not change
    assert [(v.claim.file, v.claim.subject.model, v.verdict) for v in after.verdicts] == [
        ("Survey.md", "resnet50", "verified")]
    assert "Survey.md" in extracted[2:]


@pytest.mark.parametrize("how", ["truncate", "garble", "foreign"])
def test_damaged_claims_cache_is_ignored(tmp_path, cache, extracted, references, damage, how):
    root = REPO / "notes"
    fresh = check_vault(load_vault(root, use_cache=False), references=references)
    check_vault(load_vault(root), references=references)
    [stored] = cache.glob("parse/*.claims")
    damage(stored, how)
    count = len(extracted)
    assert verdicts(check_vault(load_vault(root), references=references)) == verdicts(fresh)
    assert len(extracted) - count == len(load_vault(root).notes)
