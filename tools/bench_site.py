"""Site build cost: one generated vault built four ways, side by side in one run.

    python tools/bench_site.py [--notes 1000] [--repeat 2] [--keep DIR]

1. plain mkdocs-material (wikilinks left raw),
2. mkdocs-material with the kb plugin (and material's tags plugin, which kb feeds),
3. the kb plugin with its alphabetical navigation groups turned off (`nav_group_size: 0`),
4. mkdocs-material with mkdocs-obsidian-bridge (`pip install mkdocs-obsidian-bridge`),

all with `navigation.prune` and `font: false`. Reports the best of `--repeat`
wall times, the size of each site and the ratios to the plain build. Targets:
the kb plugin adds at most 25% to the plain build; the kb site of 1,000 notes
stays under 60 MB.

kb's caches (reference-model measurements and layer tables, the parse cache)
are filled before timing and reported separately: they are paid once per
machine, not per build. Set KB_CACHE_DIR to keep them away from your own.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

TARGET_RATIO = 1.25
TARGET_MB = 60

VARIANTS = {
    "plain": ["search"],
    "kb": ["search", "kb", "tags"],
    # kb's alphabetical navigation groups off: the cost of kb's own work on an unchanged navigation
    "kb, flat nav": ["search", {"kb": {"nav_group_size": 0}}, "tags"],
    "obsidian-bridge": ["search", "obsidian-bridge"],
}


def write_config(folder: Path, vault: Path, plugins: list[str]) -> Path:
    config = {
        "site_name": "bench",
        "docs_dir": str(vault),
        "theme": {"name": "material", "font": False, "features": ["navigation.prune"]},
        "markdown_extensions": ["tables", "toc", "attr_list", "md_in_html"],
        "plugins": plugins,
    }
    path = folder / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def build_once(config_file: Path, site: Path) -> float:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    shutil.rmtree(site, ignore_errors=True)
    start = time.perf_counter()
    config = load_config(config_file=str(config_file), site_dir=str(site))
    build(config)
    return time.perf_counter() - start


def tree_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def size_breakdown(site: Path) -> list[tuple[str, int, int]]:
    """(kind, bytes, files) of a built kb site, largest first: what the size is made of."""
    kinds: dict[str, list[int]] = {}
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(site).as_posix()
        size = path.stat().st_size
        if relative.startswith("search/"):
            kind = "search index"
        elif relative.startswith("assets/kb/"):
            kind = f"kb data and scripts ({path.name})" if path.suffix == ".json" else "kb data and scripts"
        elif relative.startswith("assets/"):
            kind = "theme assets"
        elif path.suffix != ".html":
            kind = "other files"
        elif relative.startswith(("kb/", "guide/")):
            kind = "kb's generated pages and guide"
        elif b'http-equiv="refresh"' in path.read_bytes()[:1000]:
            kind = "alias redirect pages"
        else:
            kind = "note pages"
        entry = kinds.setdefault(kind, [0, 0])
        entry[0] += size
        entry[1] += 1
    return sorted(((kind, total, count) for kind, (total, count) in kinds.items()), key=lambda row: -row[1])


def warm_kb_caches() -> float:
    """Measurements and layer tables of every reference model: what a first-ever build pays once."""
    from kb.measure import load_measurements
    from kb.site.layers import layer_rows

    start = time.perf_counter()
    for model_id in load_measurements():
        layer_rows(model_id)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1000, help="notes in the generated vault (default: 1000)")
    parser.add_argument("--repeat", type=int, default=2, help="builds per variant, best kept (default: 2)")
    parser.add_argument("--keep", type=Path, default=None, help="build here and keep the sites")
    args = parser.parse_args(argv)

    import gen_vault

    work = args.keep or Path(tempfile.mkdtemp(prefix="kb-bench-site-"))
    work.mkdir(parents=True, exist_ok=True)
    vault = work / "vault"
    shutil.rmtree(vault, ignore_errors=True)
    with contextlib.redirect_stdout(io.StringIO()):
        gen_vault.main([str(args.notes), str(vault)])
    notes = sum(1 for _ in vault.rglob("*.md"))
    print(f"vault: {notes} notes, {tree_size(vault) / 1e6:.1f} MB")

    logging.getLogger("mkdocs").setLevel(logging.ERROR)   # thousands of "unrecognized link" lines otherwise
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    print(f"kb caches filled in {warm_kb_caches():.1f} s (once per machine; not part of the timings)")

    results: dict[str, tuple[float, int]] = {}
    for name, plugins in VARIANTS.items():
        folder = work / name.replace(", ", "-").replace(" ", "-")
        folder.mkdir(exist_ok=True)
        config_file = write_config(folder, vault, plugins)
        site = folder / "site"
        try:
            times = [build_once(config_file, site) for _ in range(args.repeat)]
        except Exception as error:  # noqa: BLE001 - a missing peer plugin is reported, not fatal
            print(f"{name:>16}: not built ({type(error).__name__}: {error})")
            continue
        results[name] = (min(times), tree_size(site))
        print(f"{name:>16}: {min(times):6.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}), "
              f"{results[name][1] / 1e6:6.1f} MB")

    plain_time, plain_size = results["plain"]
    print()
    print(f"{'variant':>16}  {'time':>8}  {'× plain':>8}  {'size':>8}  {'× plain':>8}")
    for name, (seconds, size) in results.items():
        print(f"{name:>16}  {seconds:7.2f}s  {seconds / plain_time:8.2f}  {size / 1e6:6.1f}MB  {size / plain_size:8.2f}")
    verdicts = []
    if "kb" in results:
        ratio = results["kb"][0] / plain_time
        size_mb = results["kb"][1] / 1e6
        verdicts.append(f"kb adds {100 * (ratio - 1):.0f}% to the plain build (target ≤ {100 * (TARGET_RATIO - 1):.0f}%): "
                        f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}")
        verdicts.append(f"kb site {size_mb:.1f} MB (target < {TARGET_MB} MB): {'met' if size_mb < TARGET_MB else 'MISSED'}")
    if "kb" in results and "obsidian-bridge" in results:
        verdicts.append(f"kb build time / obsidian-bridge build time: {results['kb'][0] / results['obsidian-bridge'][0]:.2f}")
    if "kb" in results:
        print()
        print("kb site by kind:")
        for kind, size, count in size_breakdown(work / "kb" / "site"):
            print(f"  {size / 1e6:6.1f} MB  {count:5d} files  {kind}")
    print()
    print("\n".join(verdicts))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
