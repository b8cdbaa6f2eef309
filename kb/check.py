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
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path

from kb.claims import Claim, Identify, Subject, extract_claims, note_subject
from kb.diagnostics import Diagnostic
from kb.evidence import References, gather, models_needed, note_evidence, statement_about
from kb.parse.note import Link
from kb.verdicts import VERDICTS, Evidence, Verdict, compare, judge

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
    from kb.resolve import match_target

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

    # Only a link's target decides which note it names (its anchor does not), so targets
    # are matched without building the resolutions `kb links` reports.
    def by_target(target: str) -> Subject | None:
        if not target:
            return None
        status, path, _, _ = match_target(index, target)
        return subject_of(path) if status in _RESOLVED else None

    @lru_cache(maxsize=None)
    def by_note(name: str) -> Subject | None:
        return by_target(name.strip())

    known: dict[str | tuple, Subject | None] = {}
    unknown = object()

    def identify(name: str, links: Sequence[Link] = ()) -> Subject | None:
        key = (name, *[link.target for link in links]) if links else name
        found = known.get(key, unknown)
        if found is unknown:
            found = known[key] = find(name, links)
        return found

    def find(name: str, links: Sequence[Link]) -> Subject | None:
        found = by_registry(name, links)
        if found is not None:
            return found
        for link in links:
            target = by_target(link.target)
            if target is not None:
                return Subject(name, target.model, target.family)
        found = by_note(name) if name else None
        return Subject(name, found.model, found.family) if found is not None else None

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


def check_vault(vault, *, resolutions=None, index=None, measurements=None, only=None,
                references: References | None = None, identify: Identify | None = None) -> CheckReport:
    """Judge every claim of the vault (or of the notes in `only`, with the whole vault as context).

    `only` is a note path or a collection of them, vault-relative. `references`
    and `identify` replace the registry, measurements and published results
    (for tests and for `kb check --watch`, which keeps them between runs).
    `resolutions` and `index` are the vault's links, when the caller has them.
    """
    with collector_paused():
        return _check(vault, resolutions, index, measurements, only, references, identify)


def _check(vault, resolutions, index, measurements, only, references, identify) -> CheckReport:
    from kb.resolve import build_index, diagnostics as link_diagnostics, vault_links

    if resolutions is None:
        index, resolutions = vault_links(vault)     # from the snapshot when the vault is unchanged
    elif index is None:
        index = build_index(vault)
    selected = _selected(vault, only)
    if identify is None:
        from kb.claim_cache import naming_digest, vault_claims

        claims = vault_claims(vault, vault_identify(vault, index), naming_digest(vault))
    else:
        claims = [claim for note in vault.notes for claim in extract_claims(note, identify)]
    reported = claims if selected is None else [c for c in claims if c.file in selected]
    if references is None:
        from kb.models import FAMILIES

        references = load_references(measurements, ids=models_needed(reported, FAMILIES))
    # Claims are handled by their position in `claims` from here on: lists indexed by
    # position cost less than dicts keyed by id() at a hundred thousand claims.
    groups = _statement_groups(claims)
    elsewhere = _other_notes(claims, groups, selected)
    judged: list[Verdict | None] = [None] * len(claims)

    def verdict_at(position: int) -> Verdict:
        verdict = judged[position]
        if verdict is None:
            claim = claims[position]
            deciding, beside = gather(claim, references)
            shown = elsewhere[position]
            if shown:           # after the evidence's own alternatives
                beside = [*beside, *shown] if beside else shown
            verdict = judged[position] = judge(claim, deciding, beside)
        return verdict

    conflicts = _conflicts(claims, groups, selected, verdict_at)
    verdicts = [verdict_at(position) for position, claim in enumerate(claims)
                if selected is None or claim.file in selected]

    diagnostics = [d for d in (*vault.diagnostics, *link_diagnostics(resolutions), *conflicts)
                   if selected is None or d.file in selected]
    diagnostics.sort(key=attrgetter("file", "line"))
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


def _statement_groups(claims: Sequence[Claim]) -> list[list[list[int]]]:
    """The claims about one thing (as `kb.evidence.same_statements` groups them), each group
    bucketed by the statement its claims make (value, precision, hedge): positions in `claims`,
    in order. Groups of a single claim are left out."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for position, about in enumerate(map(statement_about, claims)):
        if about is not None:
            groups[about].append(position)
    bucketed = []
    for members in groups.values():
        if len(members) < 2:
            continue
        buckets: dict[tuple, list[int]] = {}
        for position in members:
            stated = claims[position].stated
            statement = (stated.value, stated.step, stated.hedged)
            bucket = buckets.get(statement)
            if bucket is None:
                buckets[statement] = [position]
            else:
                bucket.append(position)
        bucketed.append(list(buckets.values()))
    return bucketed


def _other_notes(claims: Sequence[Claim], groups: list[list[list[int]]],
                 selected: frozenset[str] | None) -> list[tuple[Evidence, ...] | None]:
    """For each claim, what other notes state about the same thing: one place per other statement.

    Each statement is shown by its first place or, when that is in the claim's
    own file, by its first place in another file (or not at all). Claims in
    one file get the same tuple, and so do all claims in files holding no
    first place.
    """
    found: list[tuple[Evidence, ...] | None] = [None] * len(claims)
    for statements in groups:
        firsts = [claims[bucket[0]] for bucket in statements]
        shown = [note_evidence(first) for first in firsts]
        everywhere = tuple(shown[:MAX_PLACES])
        firsts_in: dict[str, list[int]] = {}
        for k, first in enumerate(firsts):
            firsts_in.setdefault(first.file, []).append(k)
        by_file: dict[str, tuple[Evidence, ...]] = {}
        for file, ks in firsts_in.items():
            seconds = [next((claims[p] for p in statements[k] if claims[p].file != file), None)
                       if len(statements[k]) > 1 else None for k in ks]
            if len(ks) == 1 and seconds[0] is None:     # the usual case: one first place, no other place
                k = ks[0]
                by_file[file] = everywhere if k >= MAX_PLACES else tuple(shown[:k] + shown[k + 1:MAX_PLACES + 1])
                continue
            instead = dict(zip(ks, seconds))
            chosen = [shown[k] if k not in instead else note_evidence(instead[k])
                      for k in range(len(firsts)) if instead.get(k, True) is not None]
            by_file[file] = tuple(chosen[:MAX_PLACES])
        for bucket in statements:
            for position in bucket:
                file = claims[position].file
                if selected is not None and file not in selected:
                    continue
                places = by_file.get(file, everywhere)
                if places:
                    found[position] = places
    return found


def _disagree(a: Claim, b: Claim) -> bool:
    """Neither stated value admits the other: they differ by the unit of each, or more."""
    gap, unit = abs(a.stated.value - b.stated.value), max(a.stated.step, b.stated.step)
    if abs(gap - unit) > 1e-9 * unit:       # clear of the boundary, floats decide
        return gap > unit
    return compare(a.stated, b.stated.value) == "contradicted" and \
        compare(b.stated, a.stated.value) == "contradicted"


def _clashes(firsts: list[Claim], verified: list[bool]) -> list[list[int]]:
    """For each statement (by its first claim), the others it conflicts with, in order.

    `_disagree` is symmetric, so each pair is decided once; its float test is
    inlined, as a large vault has hundreds of thousands of pairs.
    """
    clashes: list[list[int]] = [[] for _ in firsts]
    values = [first.stated.value for first in firsts]
    steps = [first.stated.step for first in firsts]
    for i, (value, step, sure) in enumerate(zip(values, steps, verified)):
        for j in range(i + 1, len(firsts)):
            if sure and verified[j]:
                continue
            gap, unit = abs(value - values[j]), (steps[j] if steps[j] > step else step)
            if abs(gap - unit) > 1e-9 * unit:
                if not gap > unit:
                    continue
            elif not _disagree(firsts[i], firsts[j]):
                continue
            clashes[i].append(j)
            clashes[j].append(i)
    return clashes


def _conflicts(claims: Sequence[Claim], groups: list[list[list[int]]], selected: frozenset[str] | None,
               verdict_at: Callable[[int], Verdict]) -> list[Diagnostic]:
    """Claims that other notes state otherwise, with values neither of which admits the other.

    Two different values that the evidence verifies both are no conflict: error
    rates differ by protocol (10-crop, ensemble) and a family's depth by
    variant. One diagnostic per claim, naming the places that state it otherwise.
    """
    found = []
    for statements in groups:
        if len(statements) < 2:
            continue
        firsts = [claims[bucket[0]] for bucket in statements]
        clashes = _clashes(firsts, [verdict_at(bucket[0]).verdict == "verified" for bucket in statements])
        # Each statement's places, as a message names them: written once, named to several claims.
        places_of = []
        for bucket in statements:
            places = {}
            for position in bucket:
                claim = claims[position]
                places[claim.file, claim.line, claim.stated.text] = f"{claim.stated.text} in {claim.file}:{claim.line}"
            places_of.append(places)
        for bucket, clashing in zip(statements, clashes):
            if not clashing:
                continue
            # The places stating otherwise, each once, found once for the statement;
            # each claim leaves out its own file's.
            places = {}
            for other in clashing:
                places.update(places_of[other])
            files = {file for file, _, _ in places}
            said_elsewhere = None       # the places named to a claim in none of their files
            for position in bucket:
                claim = claims[position]
                file = claim.file
                if selected is not None and file not in selected:
                    continue
                if file not in files:
                    if said_elsewhere is None:
                        said_elsewhere = _named(list(places.values()))
                    said = said_elsewhere
                else:
                    theirs = [named for (where, _, _), named in places.items() if where != file]
                    if not theirs:
                        continue
                    said = _named(theirs)
                found.append(Diagnostic(file, claim.line, f"{_what(claim)}: {claim.stated.text} here, but {said}",
                                        code="conflict", severity="warning"))
    return found


def _named(places: list[str]) -> str:
    """The first few places, as a message names them, and how many more there are."""
    more = f" and {len(places) - MAX_PLACES} more" if len(places) > MAX_PLACES else ""
    return ", ".join(places[:MAX_PLACES]) + more


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
