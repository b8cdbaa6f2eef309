"""Benchmark: measuring every reference model cold, warm, and torchinfo's `summary` of the same models.

Each phase runs in a fresh interpreter (so imports count and peak RSS is its own):

- cold:   `kb.measure.load_measurements(use_cache=False)` on an empty cache folder
          (one real CPU forward per model, traced for params, depth and multiply-adds;
          a helper process takes every other model);
- warm:   `python -m kb models --format json` reading that cache (must not import torch);
- torchinfo: `torchinfo.summary(model, input_data=...)` of every model built on the CPU,
          the usual way to get the same figures (a real forward with random weights).

Targets: cold under 10 s with peak RSS under 1 GB on 2 cores; warm under 0.5 s.
Usage: python tools/bench_models.py [--models resnet50 vgg16 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Peak RSS and CPU include kb's helper process: CPU seconds summed, peak RSS as this
# process's peak plus the helper's (an upper bound on what both held at once).
COLD = """
import json, resource, sys
from kb.measure import load_measurements
found = load_measurements(IDS, use_cache=False)
own, helper = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rss_mb": (own.ru_maxrss + helper.ru_maxrss) / 1024,
                  "cpu_s": own.ru_utime + own.ru_stime + helper.ru_utime + helper.ru_stime,
                  "models": {k: [m.params, m.macs] for k, m in found.items()}}))
"""

# All models: the command itself; a subset: the same cache read through the API.
WARM = """
import contextlib, io, json, resource, sys
from kb.cli import main
from kb.measure import load_measurements
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["models", "--format", "json"]) if IDS is None else len(load_measurements(IDS)) - len(IDS)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rss_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime, "code": code,
                  "torch_imported": "torch" in sys.modules}))
"""

TORCHINFO = """
import json, resource, time
import torch
from torchinfo import summary
from kb.models import MODELS
out = {}
for model_id in IDS:
    spec = MODELS[model_id]
    start = time.perf_counter()
    model = spec.build().eval()
    if spec.input_dtype == "float32":
        inputs = [torch.randn(1, *spec.input_shape) for _ in range(spec.input_count)]
    else:
        inputs = [torch.arange(spec.input_shape[0]).reshape(1, -1) for _ in range(spec.input_count)]
    stats = summary(model, input_data=inputs, verbose=0, device="cpu")
    out[model_id] = [stats.total_params, stats.total_mult_adds, time.perf_counter() - start]
    del model, stats
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rss_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime, "models": out}))
"""


def run_phase(code: str, ids: list[str] | None, cache: str) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KB_CACHE_DIR": cache}
    source = textwrap.dedent(code).replace("IDS", repr(ids))
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", source], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"phase failed:\n{result.stderr}")
    return elapsed, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", help="model ids (default: all)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from kb.models import MODELS

    ids = args.models or list(MODELS)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(ids)} models, {os.cpu_count()} CPUs, load average {load:.1f} at start")
    with tempfile.TemporaryDirectory() as cache:
        cold_time, cold = run_phase(COLD, ids, cache)
        warm_time, warm = run_phase(WARM, args.models or None, cache)
        info_time, info = run_phase(TORCHINFO, ids, cache)

    print(f"\n{'phase':<34}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}{'target':>22}")
    print(f"{'kb cold (no cache)':<34}{cold_time:>9.2f}{cold['cpu_s']:>9.2f}{cold['rss_mb']:>13.0f}"
          f"{'< 10 s, < 1024 MB':>22}")
    warm_label = ("kb models, warm" if not args.models else "load_measurements, warm") + \
        (" (torch imported!)" if warm["torch_imported"] else "")
    print(f"{warm_label:<34}{warm_time:>9.2f}{warm['cpu_s']:>9.2f}{warm['rss_mb']:>13.0f}{'< 0.5 s':>22}")
    print(f"{'torchinfo summary':<34}{info_time:>9.2f}{info['cpu_s']:>9.2f}{info['rss_mb']:>13.0f}")
    print(f"\ntorchinfo / kb cold: {info_time / cold_time:.2f}x wall, {info['cpu_s'] / cold['cpu_s']:.2f}x CPU, "
          f"{info['rss_mb'] / cold['rss_mb']:.2f}x memory; kb cold / warm: {cold_time / warm_time:.0f}x wall")
    end_load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(wall times depend on what else the cores run; CPU seconds less so: load average {load:.1f} "
          f"at start, {end_load:.1f} at the end)")

    print(f"\n{'model':<18}{'kb params':>14}{'torchinfo':>14}{'kb MACs':>17}{'torchinfo MACs':>17}{'ti s':>7}")
    for model_id in ids:
        ours, theirs = cold["models"].get(model_id), info["models"][model_id]
        params, macs = ours if ours else ("-", "-")
        print(f"{model_id:<18}{params:>14,}{theirs[0]:>14,}{macs:>17,}{theirs[1]:>17,}{theirs[2]:>7.2f}")


if __name__ == "__main__":
    main()
