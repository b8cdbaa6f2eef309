"""`kb check`: every claim in a vault, judged against its evidence.

    vault -> claims (kb.claims) -> evidence (kb.evidence) -> verdicts (kb.verdicts)

Measurements come from the model cache (`kb.measure`), and only the models
the claims need are loaded, so a warm check never imports torch. The vault's
parsed notes are used as they are, never parsed again; the one thing read
from a file is the line of a frontmatter key that states a claim, which the
parsed note does not keep. Besides the verdicts, the report carries the
vault's own diagnostics (unreadable files, bad frontmatter), the link
diagnostics of `kb links`, and a `conflict` diagnostic on every claim that
another note states differently (values neither of which admits the other,
not both verified by the evidence), naming each place.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from kb.claims import Claim, Identify, Subject, extract_claims, note_subject
from kb.diagnostics import Diagnostic
from kb.evidence import References, gather, models_needed, note_evidence, same_statements
from kb.parse.note import Link, ParsedNote
from kb.verdicts import VERDICTS, Verdict, compare, judge

_RESOLVED = frozenset({"ok", "case", "alias", "punctuation"})


@dataclass(frozen=True, slots=True)
class CheckReport:
    verdicts: tuple[Verdict, ...]           # in file, line, column order
    diagnostics: tuple[Diagnostic, ...]     # vault, link and conflict diagnostics, in file, line order
    summary: dict[str, int]                 # verdict -> count, all four kinds present

    def failed(self, *, strict: bool = False) -> bool:
        """Whether `kb check` exits 1: a contradiction, or with `strict` anything short of verified."""
        failing = ("contradicted", "approximate", "unverifiable") if strict else ("contradicted",)
        return any(self.summary.get(kind) for kind in failing)


def registry_identify() -> Identify:
    """Names -> subjects, from the model registry alone (variants first, then families)."""
    from kb.models import FAMILIES, MODELS, find_family, find_model, name_key

    # The registry matches names by their key only; most names in a vault are not
    # architectures, and this one lookup turns them away before the full search.
    keys = {name_key(name) for spec in (*MODELS.values(), *FAMILIES.values()) for name in spec.names()}

    @lru_cache(maxsize=None)
    def by_name(name: str) -> tuple[str | None, str | None]:
        if name_key(name) not in keys:
            return None, None
        model = find_model(name)
        if model is not None:
            return model.id, model.family
        family = find_family(name)
        return (None, family.id) if family is not None else (None, None)

    def identify(name: str, links: Sequence[Link] = ()) -> Subject | None:
        model, family = by_name(name)
        return Subject(name, model, family) if family is not None else None

    return identify


def vault_identify(vault, index) -> Identify:
    """Names -> subjects: the registry, else the note a name or link resolves to (its subject)."""
    from kb.resolve import resolve_link, resolve_name

    by_registry = registry_identify()
    subjects: dict[str, Subject | None] = {}

    def subject_of(path: str | None) -> Subject | None:
        if path is None or not path.endswith(".md"):
            return None
        if path not in subjects:
            try:
                subjects[path] = note_subject(vault.note(path), by_registry)
            except KeyError:
                subjects[path] = None
        return subjects[path]

    @lru_cache(maxsize=None)
    def by_note(name: str) -> Subject | None:
        resolution = resolve_name(index, name)
        return subject_of(resolution.target) if resolution.status in _RESOLVED else None

    known: dict[tuple, Subject | None] = {}

    def identify(name: str, links: Sequence[Link] = ()) -> Subject | None:
        key = (name, *(link.target for link in links))
        if key not in known:
            known[key] = find(name, links)
        return known[key]

    def find(name: str, links: Sequence[Link]) -> Subject | None:
        found = by_registry(name, links)
        if found is not None:
            return found
        for link in links:
            resolution = resolve_link(index, link)
            target = subject_of(resolution.target) if resolution.status in _RESOLVED else None
            if target is not None:
                return replace(target, text=name)
        found = by_note(name) if name else None
        return replace(found, text=name) if found is not None else None

    return identify


def load_references(measurements: Mapping | None = None, *, ids: Iterable[str] | None = None) -> References:
    """The registry, the published results and the measurements of `ids` (default: every model).

    Measurements come from the model cache; a model missing from it is measured
    (which imports torch) and cached.
    """
    from kb.data import load_published
    from kb.measure import load_measurements
    from kb.models import FAMILIES, MODELS

    if measurements is None:
        measurements = load_measurements(sorted(ids) if ids is not None else None)
    published = load_published()
    return References(models=MODELS, families=FAMILIES, measurements=measurements,
                      published=tuple(published.results), sources=published.sources)


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector for a batch of work that makes no reference cycles.

    A check allocates a few small objects per table cell, hundreds of thousands
    on a large vault; each allocation burst makes the collector walk every
    object of the loaded vault again, which takes longer than the check itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_vault(vault, *, resolutions=None, measurements=None, only=None,
                references: References | None = None, identify: Identify | None = None) -> CheckReport:
    """Judge every claim of the vault (or of the notes in `only`, with the whole vault as context).

    `only` is a note path or a collection of them, vault-relative. `references`
    and `identify` replace the registry, measurements and published results
    (for tests and for `kb check --watch`, which keeps them between runs).
    """
    with collector_paused():
        return _check(vault, resolutions, measurements, only, references, identify)


def _check(vault, resolutions, measurements, only, references, identify) -> CheckReport:
    from kb.resolve import build_index, diagnostics as link_diagnostics, resolve_vault

    index = build_index(vault)
    if resolutions is None:
        resolutions = resolve_vault(vault, index)
    if identify is None:
        identify = vault_identify(vault, index)
    selected = _selected(vault, only)

    claims = [claim for note in vault.notes
              for claim in extract_claims(note, identify)]
    if references is None:
        from kb.models import FAMILIES

        reported = claims if selected is None else [c for c in claims if c.file in selected]
        references = load_references(measurements, ids=models_needed(reported, FAMILIES))
    judged: dict[int, Verdict] = {}

    def verdict_on(claim: Claim) -> Verdict:
        if id(claim) not in judged:
            judged[id(claim)] = judge(claim, *gather(claim, references))
        return judged[id(claim)]

    groups = [_by_statement(members) for members in same_statements(claims).values() if len(members) > 1]
    others = _other_notes(groups, selected)
    conflicts = _conflicts(groups, selected, verdict_on)

    verdicts = []
    for claim in claims:
        if selected is not None and claim.file not in selected:
            continue
        verdict = verdict_on(claim)
        extra = others.get(id(claim), ())
        if extra:   # built directly: dataclasses.replace is slow enough to show on a large vault
            verdict = Verdict(verdict.claim, verdict.verdict, verdict.expected, verdict.evidence,
                              verdict.alternatives + tuple(extra), verdict.explanation)
        verdicts.append(verdict)

    diagnostics = [d for d in (*vault.diagnostics, *link_diagnostics(resolutions), *conflicts)
                   if selected is None or d.file in selected]
    diagnostics.sort(key=lambda d: (d.file, d.line))
    summary = {kind: 0 for kind in VERDICTS}
    for verdict in verdicts:
        summary[verdict.verdict] += 1
    return CheckReport(tuple(verdicts), tuple(diagnostics), summary)


def _selected(vault, only) -> frozenset[str] | None:
    if only is None:
        return None
    paths = [only] if isinstance(only, str) else list(only)
    return frozenset(vault.note(path).path for path in paths)


MAX_PLACES = 5      # other notes named per claim; a vault may repeat one figure in thousands


def _by_statement(members: list[Claim]) -> dict[tuple, list[Claim]]:
    """Claims about one thing, bucketed by the statement they make (value, precision, hedge)."""
    buckets: dict[tuple, list[Claim]] = {}
    for claim in members:
        buckets.setdefault((claim.stated.value, claim.stated.step, claim.stated.hedged), []).append(claim)
    return buckets


def _other_notes(groups, selected: frozenset[str] | None) -> dict[int, list]:
    """For each claim, what other notes state about the same thing: one place per other statement."""
    found: dict[int, list] = {}
    for buckets in groups:
        # Each statement's first place, and its first place in another file than that.
        firsts = []
        for claims in buckets.values():
            first = claims[0]
            second = next((c for c in claims if c.file != first.file), None)
            firsts.append((first, note_evidence(first), second, note_evidence(second) if second else None))
        for claims in buckets.values():
            for claim in claims:
                if selected is not None and claim.file not in selected:
                    continue
                elsewhere = [evidence if first.file != claim.file else second_evidence
                             for first, evidence, second, second_evidence in firsts
                             if first.file != claim.file or second is not None]
                if elsewhere:
                    found[id(claim)] = elsewhere[:MAX_PLACES]
    return found


def _disagree(a: Claim, b: Claim) -> bool:
    """Neither stated value admits the other: they differ by the unit of each, or more."""
    gap, unit = abs(a.stated.value - b.stated.value), max(a.stated.step, b.stated.step)
    if abs(gap - unit) > 1e-9 * unit:       # clear of the boundary, floats decide
        return gap > unit
    return compare(a.stated, b.stated.value) == "contradicted" and \
        compare(b.stated, a.stated.value) == "contradicted"


def _conflicts(groups, selected: frozenset[str] | None, verdict_on: Callable[[Claim], Verdict]) -> list[Diagnostic]:
    """Claims that other notes state otherwise, with values neither of which admits the other.

    Two different values that the evidence verifies both are no conflict: error
    rates differ by protocol (10-crop, ensemble) and a family's depth by
    variant. One diagnostic per claim, naming the places that state it otherwise.
    """
    found = []
    for buckets in groups:
        if len(buckets) < 2:
            continue
        verified = {key: verdict_on(claims[0]).verdict == "verified" for key, claims in buckets.items()}
        clashes = {a: [b for b in buckets if b != a and not (verified[a] and verified[b])
                       and _disagree(buckets[a][0], buckets[b][0])]
                   for a in buckets}
        for a, claims in buckets.items():
            for claim in claims:
                if selected is not None and claim.file not in selected:
                    continue
                places = list(dict.fromkeys((other.file, other.line, other.stated.text)
                                            for b in clashes[a] for other in buckets[b] if other.file != claim.file))
                if not places:
                    continue
                named = ", ".join(f"{text} in {file}:{line}" for file, line, text in places[:MAX_PLACES])
                more = f" and {len(places) - MAX_PLACES} more" if len(places) > MAX_PLACES else ""
                found.append(Diagnostic(claim.file, claim.line, f"{_what(claim)}: {claim.stated.text} here, "
                                        f"but {named}{more}", code="conflict", severity="warning"))
    return found


def _what(claim: Claim) -> str:
    if claim.attribute == "ratio" and claim.ratio_reference is not None:
        return f"{claim.subject.text} vs {claim.ratio_reference.text} ({claim.ratio_of} ratio)"
    return f"{claim.subject.text} {claim.attribute}"


def watch_vault(root, *, only: str | None = None, on_report: Callable[[CheckReport], None],
                stop: threading.Event | None = None, max_reports: int | None = None,
                settle: float = 0.05, references: References | None = None) -> int:
    """Check the vault, then re-check each note as it changes until `stop` is set (or Ctrl-C).

    The first report covers the vault (or `only`); later ones cover the notes
    that changed, with the whole vault re-read (unchanged notes come from the
    parse cache) as context. References are loaded once. Returns the number
    of reports made; `max_reports` ends the loop after that many.
    """
    import queue

    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    from kb.vault import load_vault

    root = Path(root)
    stop = stop or threading.Event()
    references = references or load_references()
    changed: queue.Queue[str] = queue.Queue()

    class Changes(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            for path in (getattr(event, "src_path", ""), getattr(event, "dest_path", "")):
                if path and str(path).lower().endswith(".md"):
                    changed.put(str(path))

    observer = Observer()
    observer.schedule(Changes(), str(root), recursive=True)
    observer.start()
    reports = 0
    try:
        on_report(check_vault(load_vault(root), only=only, references=references))
        reports += 1
        while not stop.is_set() and (max_reports is None or reports < max_reports):
            try:
                first = changed.get(timeout=0.2)
            except queue.Empty:
                continue
            paths = {first}
            stop.wait(settle)      # an editor's save is often several events; take them together
            while not changed.empty():
                paths.add(changed.get_nowait())
            vault = load_vault(root)
            known = {note.path for note in vault.notes}
            touched = {_relative(root, p) for p in paths} & known
            if only is not None:
                touched &= {only}
            if not touched:
                continue
            on_report(check_vault(vault, only=sorted(touched), references=references))
            reports += 1
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()
    return reports


def _relative(root: Path, path: str) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return ""
