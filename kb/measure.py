"""Measure the reference models: parameters, depth, multiply-adds, a real forward run.

Every number comes from one forward pass of batch 1 on a real CPU tensor of
the spec's input shape. The model is built on the meta device (no memory, no
weight initialisation), then every weight becomes a real zero (contiguous,
backed by the kernel's zero page, so even VGG's 400 MB fc layer takes no
memory). While it runs, a torch-function mode follows the data flow and
`torch.utils.flop_counter.FlopCounterMode` counts the arithmetic.

Conventions, for every model:

- **params**: the exact number of parameters the main output depends on: those
  the pass reads. Shared weights count once; modules the inference forward
  never uses (GoogLeNet's auxiliary classifiers) do not count, and a note says
  how many they hold.
- **depth**: the number of depth units on the longest path from the input to the
  main output, traced through the data flow of that same pass. Units are conv
  and fc layers unless the model's spec says otherwise (the Transformer counts
  encoder and decoder layers). Projection shortcuts lie on a shorter path and
  auxiliary heads off the path, so neither counts.
- **macs**: multiply-accumulates of one sample at the spec's input size (the
  Transformer: one sentence pair of 32 source and 32 target tokens), from
  `FlopCounterMode`, which counts convolutions and matrix products, not
  normalisation, activations or pooling. **flops** = 2 x macs, the counter's
  own unit. Papers of the period say "FLOPs" for multiply-adds.
- **output_shape**: the main output's shape in that run. The weights being
  zeros, the run proves the definition executes and checks its shapes; it says
  nothing about accuracy.

`layer_table` makes the same pass on the meta device (shapes only, no
arithmetic) with per-module records.

Results are cached in `kb.cache.cache_dir("models")`, one entry per model keyed by
a hash of its spec, its builder module's source, this module's source, the torch
version and the kb version. Reading the cache does not import torch.
"""

from __future__ import annotations

import collections
import contextlib
import difflib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import mmap
import os
import sys
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import kb
from kb import atomic
from kb.cache import cache_dir
from kb.cores import idle_cores
from kb.errors import KbError
from kb.models import MODELS, ModelSpec, find_model

__all__ = ["LayerRow", "LayerTable", "Measurement", "MeasurementWarning", "cache_key", "cache_path",
           "close_matches", "depth_breakdown", "format_shape", "layer_table", "load_measurements", "measure_model", "resolve_id"]

CACHE_FORMAT = 1
CACHE_FILE = "measurements.json"


class MeasurementWarning(UserWarning):
    """A model could not be built or run; it is left out of the measurements."""


@dataclass(frozen=True, slots=True)
class Measurement:
    id: str
    params: int
    depth: int
    depth_unit: str                       # "weight layers", "encoder/decoder layers"
    depth_detail: dict[str, int]          # {"conv": 49, "fc": 1}, {"encoder": 6, "decoder": 6}
    macs: int                             # multiply-accumulates, one sample
    flops: int                            # 2 x macs
    input_shape: tuple[int, ...]          # with the batch dimension (1)
    output_shape: tuple[int, ...]
    notes: tuple[str, ...] = ()

    def depth_text(self) -> str:
        """ "50 weight layers (49 conv + 1 fc)", "encoder 6 + decoder 6 layers"."""
        detail = depth_breakdown(self.depth_unit, self.depth_detail)
        if self.depth_unit == "weight layers":
            return f"{self.depth} weight layers ({detail})" if detail else f"{self.depth} weight layers"
        return f"{detail} {self.depth_unit.split()[-1]}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["input_shape"], data["output_shape"] = list(self.input_shape), list(self.output_shape)
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        return cls(
            id=str(data["id"]), params=int(data["params"]), depth=int(data["depth"]),
            depth_unit=str(data["depth_unit"]),
            depth_detail={str(k): int(v) for k, v in dict(data["depth_detail"]).items()},
            macs=int(data["macs"]), flops=int(data["flops"]),
            input_shape=tuple(int(n) for n in data["input_shape"]),
            output_shape=tuple(int(n) for n in data["output_shape"]),
            notes=tuple(str(n) for n in data["notes"]),
        )


@dataclass(frozen=True, slots=True)
class LayerRow:
    name: str                             # qualified module name ("layer1.0.conv1"; "" for the model itself)
    type: str                             # module class
    output_shape: tuple[int, ...]
    params: int                           # parameters this module owns (shared ones counted at first use)
    macs: int                             # multiply-adds of this module's own operations, not its children's


@dataclass(frozen=True, slots=True)
class LayerTable:
    model: str
    rows: tuple[LayerRow, ...]
    params: int
    macs: int


def depth_breakdown(depth_unit: str, depth_detail: Mapping[str, int]) -> str:
    """A measured depth's parts as people write them: "49 conv + 1 fc" for weight
    layers, "encoder 6 + decoder 6" otherwise; parts counted zero times are left out.

    Everything that shows a depth breakdown (`depth_text`, `kb models`, check
    evidence) goes through here, so it reads the same everywhere.
    """
    parts = [(str(kind), count) for kind, count in dict(depth_detail or {}).items() if count]
    if depth_unit == "weight layers":
        return " + ".join(f"{count} {kind}" for kind, count in parts)
    return " + ".join(f"{kind} {count}" for kind, count in parts)


def format_shape(shape: Sequence[int]) -> str:
    return "×".join(str(n) for n in shape)


def close_matches(text: str, limit: int = 5) -> list[str]:
    """Model ids that look like `text`, for "unknown model" messages."""
    by_name = {name.casefold(): spec.id for spec in MODELS.values() for name in spec.names()}
    found = difflib.get_close_matches(text.casefold(), list(by_name), n=limit * 3, cutoff=0.5)
    return list(dict.fromkeys(by_name[name] for name in found))[:limit]


def resolve_id(text: str) -> ModelSpec:
    """The spec for a model id or name; KbError listing close matches otherwise."""
    if text in MODELS:
        return MODELS[text]
    spec = find_model(text)
    if spec is not None:
        return spec
    matches = close_matches(text)
    hint = f"; did you mean {', '.join(matches)}?" if matches else "; `kb models` lists them"
    raise KbError(f"unknown model {text!r}{hint}")


# --- cache ------------------------------------------------------------------------------------


def cache_path() -> Path:
    return cache_dir("models") / CACHE_FILE


def _source_bytes(module_name: str) -> bytes:
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        return b""
    return Path(spec.origin).read_bytes()


def _torch_version() -> str:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def cache_key(spec: ModelSpec, torch_version: str | None = None) -> str:
    """Changes when anything that could change the measurement changes.

    Builder modules are self-contained (they import only torch), so their own
    source is the model's definition.
    """
    digest = hashlib.sha256()
    for part in (str(CACHE_FORMAT), kb.__version__, torch_version or _torch_version(), repr(spec)):
        digest.update(part.encode() + b"\0")
    digest.update(_source_bytes(spec.builder.partition(":")[0]) + b"\0")
    digest.update(_source_bytes(__name__))
    return digest.hexdigest()


def _read_cache(path: Path) -> dict[str, Any]:
    """The cached entries, or {} when the file is missing, unreadable or not ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def _cached(entries: dict[str, Any], spec: ModelSpec, key: str) -> Measurement | None:
    entry = entries.get(spec.id)
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    try:
        return Measurement.from_dict(entry["measurement"])
    except (KeyError, TypeError, ValueError):
        return None


def load_measurements(ids: Iterable[str] | None = None, *, use_cache: bool = True,
                      on_measure: Callable[[ModelSpec], None] | None = None) -> dict[str, Measurement]:
    """Measurements of the given models (all registered models by default), in registry order.

    Cached entries are used when their key matches; the rest are measured (this
    imports torch) and written back. `use_cache=False` measures everything afresh
    and refreshes the cache. A model that cannot be built or run is left out with
    a MeasurementWarning. `on_measure` is called before each model is measured.
    """
    specs = [resolve_id(i) for i in ids] if ids is not None else list(MODELS.values())
    path = cache_path()
    entries = _read_cache(path)
    version = _torch_version()
    keys = {spec.id: cache_key(spec, version) for spec in specs}
    found = {spec.id: _cached(entries, spec, keys[spec.id]) if use_cache else None for spec in specs}
    todo = list({spec.id: spec for spec in specs if found[spec.id] is None}.values())
    fresh: dict[str, Measurement] = {}
    for spec, outcome in _measure_all(todo, keys, on_measure).items():
        if isinstance(outcome, Measurement):
            fresh[spec.id] = found[spec.id] = outcome
        else:   # a plugin's broken model must not stop `kb check`
            warnings.warn(f"model {spec.id!r} ({spec.builder}) could not be measured: {outcome}",
                          MeasurementWarning, stacklevel=2)
    if fresh:
        entries = _read_cache(path)   # another process may have added entries meanwhile
        for model_id, measurement in fresh.items():
            entries[model_id] = {"key": keys[model_id], "measurement": measurement.to_dict()}
        atomic.write_text(path, json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1) + "\n")
    return {spec.id: found[spec.id] for spec in specs if found[spec.id] is not None}


# --- measuring many models: this process and one helper process ---------------------------------

# Below this many models to measure, a helper process (its own torch import: about a
# second of CPU) does not pay for itself.
HELPER_MIN_MODELS = 6


def _measure_all(specs: list[ModelSpec], keys: dict[str, str],
                 on_measure: Callable[[ModelSpec], None] | None) -> dict[ModelSpec, Measurement | str]:
    """Each spec's measurement, or why it failed ("TypeError: ..."), in the order given.

    With many models and a second core nearly free, a helper process measures
    alongside this one: both take the next model from one queue, each with one
    intra-op thread. On 2 idle cores this beats one process with 2 threads
    (batch-1 passes through small layers leave the second thread mostly waiting,
    and the Python-side tracing is single-threaded anyway). On busy cores the
    helper's own torch import and the contention cost more than it brings (on 2
    cores shared with other work: 11 s against 8.7 s), so there is none.
    If the helper cannot start, dies, or resolves a model differently (a model
    registered only in this process), this process measures what it did not.
    """
    import threading

    outcomes: dict[str, Measurement | str] = {}
    pending = collections.deque(specs)
    lock = threading.Lock()

    def take() -> ModelSpec | None:
        with lock:
            spec = pending.popleft() if pending else None
        if spec is not None and on_measure is not None:
            on_measure(spec)
        return spec

    wanted = os.environ.get("KB_MEASURE_HELPER", "")      # "1": always, "0": never, else by the load
    helper = None
    if len(specs) >= HELPER_MIN_MODELS and (wanted == "1" or (wanted != "0" and not _cores_busy())):
        helper = _Helper(take, keys)
    with _single_thread() if helper is not None else contextlib.nullcontext():
        while (spec := take()) is not None:
            outcomes[spec.id] = _measure_or_reason(spec)
    if helper is not None:
        for spec, reply in helper.finish().items():
            outcomes[spec.id] = reply if reply is not None else _measure_or_reason(spec)
    return {spec: outcomes[spec.id] for spec in specs}


def _measure_or_reason(spec: ModelSpec) -> Measurement | str:
    try:
        return measure_model(spec)
    except Exception as error:  # reported by the caller
        return f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def _single_thread():
    torch = _quiet_torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class _Helper:
    """A second process measuring models handed to it one at a time over a pipe.

    Protocol: one line per model in ("<id>\t<cache key>"), one JSON line per model
    out ({"measurement": ...}, {"error": ...} or {"unknown": true}). Closing its
    input ends it.
    """

    def __init__(self, take: Callable[[], ModelSpec | None], keys: dict[str, str]) -> None:
        import subprocess
        import threading

        self._take, self._keys = take, keys
        self.replies: dict[ModelSpec, Measurement | str | None] = {}   # None: measure it here
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from kb.measure import _helper_main; _helper_main()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True, encoding="utf-8", env=env)
        except OSError:
            self._process = None
            return
        self._thread = threading.Thread(target=self._serve, name="kb-measure-helper", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        process = self._process
        try:
            while (spec := self._take()) is not None:
                self.replies[spec] = None   # until it answers
                process.stdin.write(f"{spec.id}\t{self._keys[spec.id]}\n")
                process.stdin.flush()
                line = process.stdout.readline()
                if not line:
                    return
                reply = json.loads(line)
                if "measurement" in reply:
                    self.replies[spec] = Measurement.from_dict(reply["measurement"])
                elif "error" in reply:
                    self.replies[spec] = str(reply["error"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        finally:
            with contextlib.suppress(OSError):
                process.stdin.close()

    def finish(self) -> dict[ModelSpec, Measurement | str | None]:
        import subprocess

        if self._process is not None:
            self._thread.join()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            with contextlib.suppress(OSError):
                self._process.stdout.close()
        return self.replies


def _helper_main() -> None:
    """The helper process: measure each model named on stdin, answer on stdout."""
    warnings.simplefilter("ignore")
    torch = _quiet_torch()
    torch.set_num_threads(1)
    out = sys.stdout
    version = _torch_version()
    for line in sys.stdin:
        model_id, _, key = line.rstrip("\n").partition("\t")
        spec = MODELS.get(model_id)
        if spec is None or cache_key(spec, version) != key:
            reply: dict[str, Any] = {"unknown": True}
        else:
            outcome = _measure_or_reason(spec)
            reply = {"measurement": outcome.to_dict()} if isinstance(outcome, Measurement) else {"error": outcome}
        out.write(json.dumps(reply) + "\n")
        out.flush()


# --- measuring (imports torch) ----------------------------------------------------------------


def _quiet_torch():
    """torch, imported (the first time) without the warning it gives where numpy is not
    installed: kb hands torch no arrays, and a warning that points into torch's own build
    would only puzzle whoever runs kb. Each way into measuring calls this first."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
        import torch
    return torch


def measure_model(spec: ModelSpec) -> Measurement:
    """Measure one model from scratch (no cache): one real CPU forward pass does it all."""
    trace = _trace(spec, spec.input_shape, device="cpu")
    notes = []
    if spec.input_note:
        notes.append(f"input: {spec.input_note}")
    if trace.unused_params:
        holders = ", ".join(trace.unused_holders)
        notes.append(f"{trace.unused_params:,} parameters in modules the inference forward does not use "
                     f"({holders}) are not counted")
    for shape in spec.probe_shapes:
        notes.append(_probe(spec, trace.model, shape))
    trace.model = None
    return Measurement(
        id=spec.id, params=trace.params, depth=trace.depth, depth_unit=spec.depth_unit,
        depth_detail=trace.depth_detail, macs=trace.macs, flops=2 * trace.macs,
        input_shape=(1, *spec.input_shape), output_shape=trace.output_shape, notes=tuple(notes),
    )


def layer_table(model: str) -> LayerTable:
    """Per-module output shapes, parameters and multiply-adds of one model (imports torch)."""
    spec = resolve_id(model)
    trace = _trace(spec, spec.input_shape, layers=True)
    return LayerTable(model=spec.id, rows=trace.rows, params=trace.params, macs=trace.macs)


@dataclass
class _Trace:
    params: int = 0
    unused_params: int = 0
    unused_holders: tuple[str, ...] = ()
    depth: int = 0
    depth_detail: dict[str, int] = field(default_factory=dict)
    macs: int = 0
    output_shape: tuple[int, ...] = ()
    rows: tuple[LayerRow, ...] = ()
    model: Any = None                     # the model as run, reused for the probes


def _inputs(spec: ModelSpec, shape: tuple[int, ...], device: str) -> tuple:
    import torch

    dtype = getattr(torch, spec.input_dtype)
    if dtype.is_floating_point:
        return tuple(torch.zeros(1, *shape, dtype=dtype, device=device) for _ in range(spec.input_count))
    # Token ids 0..n-1: valid for any vocabulary at least as long as the sequence.
    tokens = torch.arange(math.prod(shape), dtype=dtype, device=device).reshape(1, *shape)
    return tuple(tokens.clone() for _ in range(spec.input_count))


def _build(spec: ModelSpec):
    """The model on the meta device: shapes only, no memory, no weight initialisation."""
    import torch

    with torch.device("meta"), _skip_init_class()():
        model = spec.build()
    return model.eval()


@functools.cache
def _skip_init_class():
    """A torch-function mode under which weight initialisation does nothing.

    On the meta device it would compute nothing anyway, but it still dispatches:
    random fills go through Python reference implementations and, on first use,
    import torch.compile's machinery (1.4 s).
    """
    import torch
    from torch.overrides import TorchFunctionMode

    fills = ("normal_", "uniform_", "zero_", "fill_", "exponential_", "random_", "bernoulli_", "cauchy_",
             "log_normal_", "geometric_")
    skipped = {getattr(torch.Tensor, name) for name in fills if hasattr(torch.Tensor, name)}
    skipped |= {function for name, function in vars(torch.nn.init).items()
                if name.endswith("_") and not name.startswith("_") and callable(function)}

    class SkipInit(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in skipped:
                target = args[0] if args else (kwargs or {}).get("tensor")
                if isinstance(target, torch.Tensor) and target.device.type == "meta":
                    return target
            return func(*args, **(kwargs or {}))

    return SkipInit


def _main_output(output):
    import torch

    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"the forward returned {type(output).__name__}, expected a tensor or a tuple of tensors")


def _trace(spec: ModelSpec, shape: tuple[int, ...], *, device: str = "meta", layers: bool = False) -> _Trace:
    """One forward pass that counts everything at once.

    On "meta", shapes only; on "cpu", a real run with zero weights (see
    `_zero_weights`) on a real input tensor, whose output shape is the one reported.
    """
    _quiet_torch()
    from torch.utils.flop_counter import FlopCounterMode

    model = _build(spec)
    if device == "cpu":
        _zero_weights(model)
    flow = _DataFlow(model, dict(spec.depth_modules), record_layers=layers)
    counter = FlopCounterMode(display=False, custom_mapping=_contraction_formulas())
    if not layers and hasattr(counter, "mod_tracker"):
        # Per-module counts are for layer tables only; the counter's module tracker (hooks on
        # every module call) is a fifth of the pass's Python time.
        counter.mod_tracker = _GlobalOnly()
    try:
        with _running(device), _dynamo_left_out(), flow, counter:
            output = _main_output(model(*_inputs(spec, shape, device)))
    finally:
        flow.remove_hooks()

    kinds = list(dict.fromkeys(kind for _, kind in spec.depth_modules))
    path = flow.path_of([output])
    named_params = dict(model.named_parameters())    # shared parameters once
    unused = {name for name, p in named_params.items() if id(p) not in flow.used}
    trace = _Trace(
        params=sum(p.numel() for p in flow.used.values()),
        unused_params=sum(named_params[name].numel() for name in unused),
        unused_holders=_holders(unused, list(named_params)),
        depth=sum(path), depth_detail={kind: count for kind, count in zip(kinds, path)},
        macs=counter.get_total_flops() // 2, output_shape=tuple(output.shape), model=model,
    )
    if layers:
        trace.rows = _rows(model, flow, counter.get_flop_counts())
    return trace


@functools.cache
def _contraction_formulas() -> dict:
    """Formulas for `linear` and `matmul` as a whole, so the counter need not decompose them.

    Without one, FlopCounterMode runs their Python decompositions (into mm, bmm or
    addmm) under the mode, and the first of them imports sympy (0.4 s). Each output
    element of either is one dot product along the last dimension of the first
    argument: 2 x outputs x that length FLOPs, what mm, bmm and addmm count (a
    bias is not counted). Listed by overload, which is how the counter decides
    whether to decompose, and by packet, which is how it looks the formula up.
    """
    import torch

    aten = torch.ops.aten

    def contraction(a_shape, b_shape, *args, out_shape=None, **kwargs) -> int:
        return 2 * math.prod(out_shape) * a_shape[-1]

    return {op: contraction for op in (aten.linear, aten.linear.default, aten.matmul, aten.matmul.default)}


class _GlobalOnly:
    """Stands in for FlopCounterMode's module tracker: every count goes to "Global" only."""

    parents = ("Global",)
    is_bw = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


@contextlib.contextmanager
def _dynamo_left_out():
    """Keep FlopCounterMode from importing torch.compile's machinery.

    The counter's dispatch handler is wrapped so that torch.compile never traces
    into it, and that wrapper imports `torch._dynamo` on its first call: 1.4 s on
    2 cores, more than all the models' Python-side tracing. While `torch._dynamo`
    is not loaded, nothing can be compiling, so for the duration of the pass the
    wrapper is told it already has its answer: the handler itself.
    """
    from torch.utils import flop_counter

    wrapper = getattr(flop_counter, "_FlopCounterMode", type).__dict__.get("__torch_dispatch__")
    handler = getattr(wrapper, "__wrapped__", None)
    if "torch._dynamo" in sys.modules or handler is None or hasattr(handler, "__dynamo_disable"):
        yield
        return
    setattr(handler, "__dynamo_disable", handler)
    try:
        yield
    finally:
        if getattr(handler, "__dynamo_disable", None) is handler:
            delattr(handler, "__dynamo_disable")


def _holders(unused: set[str], all_names: Sequence[str]) -> tuple[str, ...]:
    """The outermost modules whose parameters are all unused ("aux1", "aux2")."""
    holders: dict[str, None] = {}
    for name in sorted(unused):
        parts = name.split(".")[:-1]
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end]) + "."
            if all(n in unused for n in all_names if n.startswith(prefix)):
                holders[prefix[:-1]] = None
                break
        else:
            holders[name] = None
    return tuple(holders)


def _rows(model, flow: _DataFlow, flop_counts: dict[str, dict]) -> tuple[LayerRow, ...]:
    root = type(model).__name__
    named = dict(model.named_modules())
    called = [name for name, _ in flow.layers]
    inclusive = {name: sum(flop_counts.get(f"{root}.{name}" if name else root, {}).values()) // 2
                 for name in called}
    # A module's own multiply-adds: its total less that of the nearest called modules inside it
    # (containers such as ModuleList are never called, so plain children are not enough).
    own_macs = dict(inclusive)
    for name in called:
        if name:
            parent = _nearest_called_ancestor(name, inclusive)
            own_macs[parent] -= inclusive[name]
    counted: set[int] = set()
    rows = []
    for name, output_shape in flow.layers:
        module = named[name]
        own_params = 0
        for param in module.parameters(recurse=False):
            if id(param) in flow.used and id(param) not in counted:
                counted.add(id(param))
                own_params += param.numel()
        if next(module.children(), None) is not None and not own_params and not own_macs[name]:
            continue   # a container: the modules inside carry the numbers
        rows.append(LayerRow(name, type(module).__name__, output_shape, own_params, own_macs[name]))
    return tuple(rows)


def _nearest_called_ancestor(name: str, called) -> str:
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in called:
            return prefix
    return ""


class _DataFlow:
    """Follows tensors through a forward pass: which parameters it uses, and the
    longest path of depth units (per kind) behind every tensor.

    A torch-function mode sees every operation: each output inherits the longest
    path among its inputs. Forward hooks on the depth-unit modules add one unit of
    their kind to their outputs. Paths are tuples of counts per kind.
    """

    def __init__(self, model, units: dict[str, str], *, record_layers: bool = False) -> None:
        import torch

        self.kinds = list(dict.fromkeys(units.values()))
        self.zero = tuple(0 for _ in self.kinds)
        self.paths: dict[int, tuple[Any, tuple[int, ...]]] = {}   # id -> (weak reference, path)
        self.used: dict[int, torch.nn.Parameter] = {}
        self._plain, self._parameter = torch.Tensor, torch.nn.Parameter
        self.layers: list[tuple[str, tuple[int, ...]]] = []   # (module name, output shape), first call only
        self._recorded: set[str] = set()
        self._entered: list[tuple[int, ...]] = []            # paths into the depth units being run
        self._hooks = []
        self._mode = None
        names = {module: name for name, module in model.named_modules()}
        for module, name in names.items():
            kind = next((units[cls.__name__] for cls in type(module).__mro__ if cls.__name__ in units), None)
            if kind is not None:
                self._hooks.append(module.register_forward_pre_hook(self._enter, with_kwargs=True))
                self._hooks.append(module.register_forward_hook(self._leaver(self.kinds.index(kind)),
                                                                with_kwargs=True))
            if record_layers:
                self._hooks.append(module.register_forward_hook(self._recorder(name)))
        if record_layers:
            # Rows follow the order modules are entered, so a parent precedes its children.
            self._order: dict[str, int] = {}
            for module, name in names.items():
                self._hooks.append(module.register_forward_pre_hook(self._orderer(name)))

    def __enter__(self):
        self._mode = _flow_mode_class()(self)
        self._mode.__enter__()
        return self

    def __exit__(self, *exc):
        mode, self._mode = self._mode, None   # no reference cycle: the model's weights free on return
        return mode.__exit__(*exc)

    def see(self, args, kwargs, out) -> None:
        """Record one operation: the parameters it reads, the path its outputs inherit."""
        outputs = self._tensors(out)
        if not outputs:   # .shape, .dim(), ...: nothing flows on
            return
        inputs = self._tensors((args, kwargs))
        plain, parameter = self._plain, self._parameter
        for tensor in inputs:
            # Parameter's isinstance goes through a Python metaclass hook: ask only of subclasses.
            if type(tensor) is not plain and isinstance(tensor, parameter):
                self.used[id(tensor)] = tensor
        self._set(outputs, self.path_of(inputs))

    def remove_hooks(self) -> None:
        for hook in self._hooks:
            hook.remove()
        if hasattr(self, "_order"):
            self.layers.sort(key=lambda layer: self._order[layer[0]])

    @staticmethod
    def _tensors(tree) -> list:
        """The tensors in nested tuples, lists and dicts (pytree is several times slower here)."""
        import torch

        found, stack = [], [tree]
        while stack:
            item = stack.pop()
            if isinstance(item, torch.Tensor):
                found.append(item)
            elif isinstance(item, (tuple, list)):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                stack.extend(reversed(list(item.values())))
        return found

    def path_of(self, tensors) -> tuple[int, ...]:
        paths = [self.paths[id(t)][1] for t in tensors if id(t) in self.paths]
        return max(paths, key=sum, default=self.zero)

    def _set(self, tensors, path: tuple[int, ...]) -> None:
        # Weak references: on the CPU, keeping every intermediate tensor alive would hold
        # all activations of the pass at once. An entry goes when its tensor does, before
        # its id can be reused.
        for tensor in tensors:
            key = id(tensor)
            self.paths[key] = (weakref.ref(tensor, functools.partial(self._forget, key)), path)

    def _forget(self, key: int, ref) -> None:
        if self.paths.get(key, (None,))[0] is ref:
            del self.paths[key]

    def _enter(self, module, args, kwargs):
        self._entered.append(self.path_of(self._tensors((args, kwargs))))

    def _leaver(self, index: int):
        def leave(module, args, kwargs, output):
            path = list(self._entered.pop())
            path[index] += 1
            self._set(self._tensors(output), tuple(path))
        return leave

    def _recorder(self, name: str):
        def record(module, args, output):
            if name not in self._recorded:
                self._recorded.add(name)
                tensors = self._tensors(output)
                self.layers.append((name, tuple(tensors[0].shape) if tensors else ()))
        return record

    def _orderer(self, name: str):
        def enter(module, args):
            self._order.setdefault(name, len(self._order))
        return enter


@functools.cache
def _flow_mode_class():
    import torch
    from torch.overrides import TorchFunctionMode

    batch_norm = torch.nn.functional.batch_norm

    class FlowMode(TorchFunctionMode):
        def __init__(self, flow: _DataFlow) -> None:
            super().__init__()
            self.flow = flow

        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func is batch_norm and args[0].device.type == "meta":
                # Meta batch norm runs a Python decomposition (milliseconds per call, most of
                # ResNet-1202's trace); its result is a tensor shaped like the input, no more.
                out = torch.empty_like(args[0])
            else:
                out = func(*args, **(kwargs or {}))
            self.flow.see(args, kwargs, out)
            return out

    return FlowMode


def _zero_weights(model) -> None:
    """Give every parameter and buffer of a meta-built model real, contiguous zeros on the CPU.

    Each is a view of one zero-filled block per dtype (see `_zero_block`), so
    the kernels run on weights of the right shapes and layout, with nothing to
    initialise or copy, while a 200-million-parameter model takes no memory for
    its weights. Shared parameters stay shared.
    """
    import torch

    sizes: dict[Any, int] = {}
    for module in model.modules():
        for tensor in (*module._parameters.values(), *module._buffers.values()):
            if tensor is not None:
                sizes[tensor.dtype] = max(sizes.get(tensor.dtype, 0), tensor.numel())
    blocks = {dtype: _zero_block(dtype, numel) for dtype, numel in sizes.items()}

    def zero(tensor):
        return blocks[tensor.dtype][:tensor.numel()].view(tensor.shape)

    replaced: dict[int, torch.nn.Parameter] = {}
    for module in model.modules():
        for name, param in module._parameters.items():
            if param is not None:
                if id(param) not in replaced:
                    replaced[id(param)] = torch.nn.Parameter(zero(param), requires_grad=False)
                module._parameters[name] = replaced[id(param)]
        for name, buffer in module._buffers.items():
            if buffer is not None:
                module._buffers[name] = zero(buffer)


@contextlib.contextmanager
def _running(device: str):
    """No autograd; on the CPU, inference mode and a thread count that suits the load."""
    import torch

    if device != "cpu":
        with torch.no_grad():
            yield
        return
    threads = torch.get_num_threads()
    if _cores_busy():
        # Intra-op threads spin while they wait for each other; on cores other work is
        # using, a batch-1 pass through many small layers gets 10-20x slower.
        torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            yield
    finally:
        torch.set_num_threads(threads)


def _zero_block(dtype, numel: int):
    """A 1-d tensor of `numel` zeros that takes no memory while nothing writes to it.

    Its storage is a private anonymous mapping: the kernel fills it with zeros
    on first touch, and pages that are only read all map the one shared zero
    page. So the weights of VGG's 400 MB first fc layer cost neither RSS nor
    the time to write them, and reading them stays in cache. Where such
    mappings are not available, plain zeros.
    """
    import torch

    numel = max(numel, 1)
    flags = getattr(mmap, "MAP_PRIVATE", None), getattr(mmap, "MAP_ANONYMOUS", None)
    if None in flags:
        return torch.zeros(numel, dtype=dtype)
    try:
        block = mmap.mmap(-1, numel * dtype.itemsize, flags=flags[0] | flags[1])
    except (OSError, ValueError, TypeError):
        return torch.zeros(numel, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # frombuffer's note that the tensor shares the buffer's memory
        return torch.frombuffer(block, dtype=dtype, count=numel)


def _cores_busy() -> bool:
    """Whether other work leaves too little for a second intra-op thread.

    A spinning thread on a shared core slows the pass down rather than up, so
    it takes a second core nearly free: a load average below cores - 1.5.
    """
    return idle_cores() < 1.5


def _probe(spec: ModelSpec, model, shape: tuple[int, ...]) -> str:
    """Whether the model (zero weights, on the CPU) runs on another input size; where and why not if not."""
    import torch

    last: dict[str, Any] = {}

    def enter(module, args):
        if not list(module.children()):
            last.update(module=module, name=names[module], inputs=[tuple(a.shape) for a in args
                                                                      if isinstance(a, torch.Tensor)])

    def leave(module, args, output):
        if isinstance(output, torch.Tensor) and output.dim() == 4:
            last["feature_map"] = tuple(output.shape[1:])

    names = {module: name for name, module in model.named_modules()}
    hooks = [h for m in names for h in (m.register_forward_pre_hook(enter), m.register_forward_hook(leave))]
    size = format_shape(shape)
    try:
        with _running("cpu"):
            output = _main_output(model(*_inputs(spec, shape, "cpu")))
    except RuntimeError as error:
        module = last.get("module")
        where = f"{last.get('name')} ({type(module).__name__})" if module is not None else "the forward"
        received = format_shape(last["inputs"][0]) if last.get("inputs") else "?"
        expected = (f"expects {module.in_features} features" if isinstance(module, torch.nn.Linear)
                    else str(error).splitlines()[0])
        feature_map = (f"; the last feature map is {format_shape(last['feature_map'])}"
                       if "feature_map" in last else "")
        return (f"a {size} input does not run: {where} receives {received} but {expected}{feature_map} "
                f"(the model is defined for {format_shape(spec.input_shape)})")
    finally:
        for hook in hooks:
            hook.remove()
    return f"a {size} input also runs (output {format_shape(tuple(output.shape))})"
