"""The claims of unchanged notes, kept between runs of `kb check`.

What a note claims depends on its own bytes and on how names resolve to
architectures: the model registry, the vault's note paths, aliases and other
files, and each note's frontmatter `model` and `family`. The cache holds each
note's claims under the sha256 of its bytes, and the whole file under a
fingerprint of the naming and of kb's code: a note whose bytes changed is read
again, and a change to the naming (a note renamed, an alias added, a plugin
installed) makes every note be read again. Reading a 10,000-note vault's
118,000 claims back takes about 0.3 s; extracting them, about 0.9 s.

The file lives beside the parse cache (see `kb.cache`) and is checked as that
one is: a magic header, the fingerprint, a sha256 of the payload. Anything
that fails a check is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import marshal
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Callable

from kb.cache import code_digest, read_checked, vault_file, write_checked
from kb.claims import Claim, Subject, extract_claims
from kb.quantity import Quantity

_MAGIC = b"kb-claims 1\n"
_SOURCES = ("claims.py", "quantity.py", "check.py", "resolve.py", "claim_cache.py", "parse/note.py",
            "models/registry.py", "models/catalog.py")

# A claim is stored as its fields, each subject and quantity as a tuple of theirs.
_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))
if _CLAIM_FIELDS != ("file", "line", "column", "subject", "attribute", "stated", "text", "ratio_of",
                     "ratio_reference", "ratio_direction", "dataset"):
    raise ImportError("kb.claim_cache stores Claim's fields one by one; a field added to Claim "
                      "must be added to its encoding")
_SUBJECT = attrgetter(*(f.name for f in fields(Subject)))
_QUANTITY = attrgetter(*(f.name for f in fields(Quantity)))


def vault_claims(vault, identify: Callable, naming: bytes) -> list[Claim]:
    """Every claim of every note, in note order; cached claims for notes whose bytes are unchanged.

    `identify` names architectures (see `kb.check.vault_identify`); `naming` is
    a digest of everything it depends on besides kb's code (see `naming_digest`).
    """
    use_cache = getattr(vault, "use_cache", False) and all(note.content_hash for note in vault.notes)
    if not use_cache:
        return [claim for note in vault.notes for claim in extract_claims(note, identify)]
    path = vault_file(vault.root, ".claims")
    key = hashlib.sha256(code_digest(*_SOURCES, registry=True) + naming).digest()
    cached = _read(path, key)
    claims: list[Claim] = []
    entries: dict[str, tuple[str, bytes]] = {}
    extracted = False
    shared: tuple[dict, dict] = ({}, {})    # subjects and quantities repeat from note to note; read-only, shared
    for note in vault.notes:
        entry = cached.get(note.path)
        found = _decoded(note.path, entry[1], *shared) if entry is not None and entry[0] == note.content_hash \
            else None
        if found is None:
            found = extract_claims(note, identify)
            entry = (note.content_hash, marshal.dumps([_encode(claim) for claim in found]))
            extracted = True
        claims.extend(found)
        entries[note.path] = entry
    if extracted or len(entries) != len(cached):
        write_checked(path, _MAGIC, key, marshal.dumps(entries))
    return claims


def naming_digest(vault) -> bytes:
    """What resolving a name to an architecture reads of the vault: every note's path, aliases
    and frontmatter `model` and `family`, and the vault's other files."""
    return hashlib.sha256(marshal.dumps((
        [(note.path, list(note.aliases), repr(note.frontmatter.get("model")), repr(note.frontmatter.get("family")))
         for note in vault.notes],
        list(vault.files)))).digest()


def _encode(claim: Claim) -> tuple:
    reference = claim.ratio_reference
    return (claim.line, claim.column, _SUBJECT(claim.subject), claim.attribute, _QUANTITY(claim.stated),
            claim.text, claim.ratio_of, _SUBJECT(reference) if reference is not None else None,
            claim.ratio_direction, claim.dataset)


def _decoded(path: str, blob: bytes, subjects: dict[tuple, Subject],
             quantities: dict[tuple, Quantity]) -> list[Claim] | None:
    """A note's cached claims, or None when they cannot be decoded (they are then extracted).
    Equal subjects and quantities are made once, in `subjects` and `quantities`."""
    try:
        claims = []
        for line, column, subject, attribute, stated, text, ratio_of, reference, direction, dataset \
                in marshal.loads(blob):
            about = subjects.get(subject)
            if about is None:
                about = subjects[subject] = Subject(*subject)
            quantity = quantities.get(stated)
            if quantity is None:
                quantity = quantities[stated] = Quantity(*stated)
            claims.append(Claim(path, line, column, about, attribute, quantity, text, ratio_of,
                                Subject(*reference) if reference is not None else None, direction, dataset))
        return claims
    except Exception:   # an entry that passed the file's checks yet fails is not trusted
        return None


def _read(path: Path, key: bytes) -> dict[str, tuple[str, bytes]]:
    checked = read_checked(path, _MAGIC, key)
    if checked is None:
        return {}
    try:
        entries = marshal.loads(checked[1])
    except Exception:   # a payload that passed the checksum yet fails
        return {}
    return entries if isinstance(entries, dict) else {}
