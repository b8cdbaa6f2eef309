"""Time `kb check` against its targets: warm check of notes/ under 0.5 s without importing
torch, and a 10,000-note generated vault under 3 s.

    python tools/bench_check.py [--notes DIR] [--count N] [--repeat R]

Each case runs `python -m kb check VAULT --format json` in a fresh process (so
import time counts, as a user sees it), with a cache folder of its own:

- cold:  an empty cache (every note parsed, every reference model measured);
- warm:  the same cache again (parse cache and model cache hit);
- 10k:   a generated vault (tools/gen_vault.py), cold parse cache, then warm,
         then with one note edited before each run;
- watch: `watch_vault` on a 100-note generated vault, in this process: the time
  from saving a note to its new report (target: under a second).

It also checks, in a fresh process, that a warm check leaves torch unimported.
Prints each time and its ratio to the target (below 1.0 meets it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_TARGET = 0.5
LARGE_TARGET = 3.0
WATCH_TARGET = 1.0

NO_TORCH = """
import sys
from pathlib import Path
from kb.check import check_vault
from kb.vault import load_vault
check_vault(load_vault(Path(sys.argv[1])))
print("torch" in sys.modules)
"""


def run_check(vault: Path, cache: Path) -> tuple[float, int]:
    env = {**os.environ, "KB_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kb", "check", str(vault), "--format", "json"],
                          env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"kb check {vault} failed with exit {done.returncode}:\n{done.stderr}")
    return elapsed, done.returncode


def torch_imported(vault: Path, cache: Path) -> bool:
    env = {**os.environ, "KB_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", NO_TORCH, str(vault)], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1] == "True"


def best_of(repeat: int, vault: Path, cache: Path) -> float:
    return min(run_check(vault, cache)[0] for _ in range(repeat))


def report(name: str, seconds: float, target: float | None = None) -> None:
    ratio = f"   {seconds / target:5.2f}× of the {target:g} s target" if target else ""
    print(f"{name:<38} {seconds:7.3f} s{ratio}")


def watch_latency(vault: Path, cache: Path, edits: int) -> list[float]:
    """Seconds from saving a note to the report on it, for `edits` saves, with the watcher running."""
    import threading

    os.environ["KB_CACHE_DIR"] = str(cache)
    sys.path.insert(0, str(ROOT))
    from kb.check import load_references, watch_vault

    note = sorted(vault.rglob("*.md"))[0]
    original = note.read_text(encoding="utf-8")
    reported = threading.Event()
    stop = threading.Event()
    thread = threading.Thread(target=watch_vault, args=(vault,), daemon=True,
                              kwargs=dict(on_report=lambda report: reported.set(), stop=stop,
                                          max_reports=edits + 1, references=load_references()))
    thread.start()
    if not reported.wait(120):
        raise SystemExit("the watcher made no first report")
    latencies = []
    for edit in range(edits):
        reported.clear()
        start = time.perf_counter()
        note.write_text(original + f"\nedit:: {edit}\n", encoding="utf-8")
        if not reported.wait(30):
            raise SystemExit("the watcher did not report a saved note")
        latencies.append(time.perf_counter() - start)
    stop.set()
    thread.join(30)
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=Path, default=ROOT / "notes", help="the vault to time (default: notes/)")
    parser.add_argument("--count", type=int, default=10_000, help="notes in the generated vault (default: 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per case; the best counts (default: 3)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as scratch:
        scratch = Path(scratch)
        cache = scratch / "cache"
        cold, _ = run_check(args.notes, cache)
        report(f"cold check of {args.notes.name}/", cold)
        warm = [run_check(args.notes, cache)[0] for _ in range(args.repeat)]
        report(f"warm check of {args.notes.name}/ (best)", min(warm), WARM_TARGET)
        report(f"warm check of {args.notes.name}/ (median)", statistics.median(warm), WARM_TARGET)
        print(f"{'torch imported by a warm check':<38} {torch_imported(args.notes, cache)}")

        large = scratch / "large"
        subprocess.run([sys.executable, str(ROOT / "tools" / "gen_vault.py"), str(args.count), str(large)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        cold_large, _ = run_check(large, cache)
        report(f"{args.count}-note vault, cold parse cache", cold_large, LARGE_TARGET)
        report(f"{args.count}-note vault, warm (best)", best_of(args.repeat, large, cache), LARGE_TARGET)
        edited = []
        note = sorted(large.rglob("*.md"))[0]
        for edit in range(args.repeat):     # as in an editing session: one note saved between checks
            with open(note, "a", encoding="utf-8") as handle:
                handle.write(f"\nedit:: {edit}\n")
            edited.append(run_check(large, cache)[0])
        report(f"{args.count}-note vault, one note edited (best)", min(edited), LARGE_TARGET)

        small = scratch / "small"
        subprocess.run([sys.executable, str(ROOT / "tools" / "gen_vault.py"), "100", str(small)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        latencies = watch_latency(small, cache, edits=max(args.repeat, 3))
        report("watch, 100 notes: save to report (median)", statistics.median(latencies), WATCH_TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
