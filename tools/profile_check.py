"""CPU time of `kb check`'s stages after loading, on one vault, in one process.

    python tools/profile_check.py VAULT [--repeat R] [--profile]

The vault is loaded, indexed and resolved once (and its tables unpacked, so
the parse cache's lazy decoding is not counted); then each of R rounds times

- claims:  extract_claims over every note, with a fresh vault_identify;
- compare: the rest of check_vault (index, statement groups, other notes'
  places, verdicts, conflicts, link diagnostics), with a fresh vault_identify;
- json:    the text `kb check --format json` writes (json_text_parts; on a
  tree without it, json.dumps(to_json(report)), so trees can be compared).

Prints the fastest round of each, in CPU seconds (time.process_time), which
moves less than wall time on a shared machine. --profile adds a cProfile of
one more round of check_vault and the JSON, by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from kb import check, report
    from kb.claims import extract_claims
    from kb.resolve import build_index, resolve_vault
    from kb.vault import load_vault

    gc.disable()        # as kb check runs
    vault = load_vault(args.vault)
    index = build_index(vault)
    resolutions = resolve_vault(vault, index)
    references = check.load_references()
    for note in vault.notes:
        for table in note.tables:
            table.rows

    def json_text(checked):
        if hasattr(report, "json_text_parts"):
            return report.json_text_parts(checked)
        return json.dumps(report.to_json(checked), ensure_ascii=False)

    rounds = []
    for _ in range(args.repeat):
        identify = check.vault_identify(vault, index)
        start = time.process_time()
        claims = [claim for note in vault.notes for claim in extract_claims(note, identify)]
        claims_time = time.process_time() - start
        identify = check.vault_identify(vault, index)
        start = time.process_time()
        checked = check.check_vault(vault, resolutions=resolutions, index=index, references=references,
                                    identify=identify)
        check_time = time.process_time() - start
        start = time.process_time()
        text = json_text(checked)
        json_time = time.process_time() - start
        rounds.append((claims_time, check_time - claims_time, json_time))
        del claims, checked, text
    best = [min(times) for times in zip(*rounds)]
    print(f"{len(vault.notes)} notes, fastest of {args.repeat}: claims {best[0]:.2f} s, "
          f"compare {best[1]:.2f} s, json {best[2]:.2f} s (CPU)")

    if args.profile:
        identify = check.vault_identify(vault, index)
        profile = cProfile.Profile()
        profile.enable()
        checked = check.check_vault(vault, resolutions=resolutions, index=index, references=references,
                                    identify=identify)
        json_text(checked)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
