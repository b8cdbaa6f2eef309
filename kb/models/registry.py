"""The model registry: what each reference model is, where it comes from, how to build it.

Everything here is plain data and must stay importable without torch: a warm
`kb check` reads the registry and the measurement cache and nothing else. The
builders live in the family modules (`kb.models.resnet`, ...), named by a
"module:function" string and imported only when a model is built.

Third-party packages add models through the entry-point group `kb.models`. An
entry point names a `ModelSpec`, a `FamilySpec`, an iterable of them, or a
callable returning either; plugins are loaded on the first registry query and a
broken one is skipped with a `KbPluginWarning` that names it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

ENTRY_POINT_GROUP = "kb.models"

# How depth is counted when a spec does not say otherwise: conv and linear layers,
# matched by class name anywhere in the module's MRO (so subclasses count too).
WEIGHT_LAYERS: tuple[tuple[str, str], ...] = (("Conv2d", "conv"), ("Linear", "fc"))


class KbPluginWarning(UserWarning):
    """A `kb.models` entry point could not be loaded or gave something unusable."""


@dataclass(frozen=True, slots=True)
class Paper:
    """A primary source. `key` matches the source keys of kb/data/published.yaml."""

    key: str
    authors: str
    title: str
    year: int
    venue: str
    url: str = ""

    def cite(self) -> str:
        """Short citation: "He et al. 2015", "Simonyan and Zisserman 2014", "Krizhevsky 2014"."""
        return short_citation(self.authors, self.year, self.key)


def short_citation(authors: str, year: int, key: str = "") -> str:
    """"He et al. 2015" from "Kaiming He, Xiangyu Zhang, ..." and 2015: the first author's
    surname, "and" the second's when there are two, "et al." when there are more."""
    names = [name.strip() for name in authors.split(",") if name.strip()]
    surname = names[0].split()[-1] if names else key
    if len(names) == 2:
        return f"{surname} and {names[1].split()[-1]} {year}"
    return f"{surname} et al. {year}" if len(names) > 2 else f"{surname} {year}"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One reference model.

    `input_shape` is one sample without the batch dimension; a model taking
    `input_count` inputs gets that many tensors of this shape (the Transformer:
    source and target token ids, `input_dtype="int64"`, values 0..length-1). `depth_modules` maps
    module class names to the parts depth is counted in. `probe_shapes` are
    other input sizes the paper mentions; measuring reports whether each runs.
    """

    id: str
    name: str
    family: str
    builder: str                                  # "package.module:function"
    paper: Paper
    where: str                                    # section / table the architecture comes from
    input_shape: tuple[int, ...]
    aliases: tuple[str, ...] = ()
    depth_unit: str = "weight layers"
    depth_modules: tuple[tuple[str, str], ...] = WEIGHT_LAYERS
    input_dtype: str = "float32"
    input_count: int = 1
    probe_shapes: tuple[tuple[int, ...], ...] = ()
    input_note: str = ""                          # what the input stands for, when the shape does not say
    summary: str = ""

    def names(self) -> tuple[str, ...]:
        return (self.id, self.name, *self.aliases)

    def build(self, **kwargs):
        """Import the builder (and torch) and call it."""
        return load_builder(self.builder)(**kwargs)

    def doc(self) -> str:
        """The builder's docstring, read from source without importing torch."""
        return builder_docstring(self.builder)


@dataclass(frozen=True, slots=True)
class FamilySpec:
    id: str
    name: str
    paper: Paper
    year: int                                     # first published
    aliases: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()                # model ids, in the paper's order
    summary: str = ""

    def names(self) -> tuple[str, ...]:
        return (self.id, self.name, *self.aliases)


def name_key(text: str) -> str:
    """How a name is compared: markup, case, spaces and punctuation do not matter.

    "[[ResNet-50|ResNets]]", "**ResNet 50**" and "resnet50" all give "resnet50".
    """
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    link = re.fullmatch(r"!?\[\[([^\]|#]*)[^\]]*\]\]", text)
    if link:
        text = link.group(1)
    return re.sub(r"[^0-9a-z]+", "", text)


def load_builder(path: str):
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def builder_docstring(path: str) -> str:
    module_name, _, attribute = path.partition(":")
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return ""
    with open(spec.origin, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == attribute:
            return ast.get_docstring(node) or ""
    return ""


class _Table(Mapping):
    """A read-only id -> spec mapping that loads the plugins on first use."""

    def __init__(self, registry: _Registry, kind: str) -> None:
        self._registry, self._kind = registry, kind

    def _data(self) -> dict:
        self._registry.load_plugins()
        return getattr(self._registry, self._kind)

    def __getitem__(self, key: str):
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return f"<kb.models {self._kind}: {', '.join(self)}>"


@dataclass
class _Registry:
    models: dict[str, ModelSpec] = field(default_factory=dict)
    families: dict[str, FamilySpec] = field(default_factory=dict)
    builtin_models: dict[str, ModelSpec] = field(default_factory=dict)
    builtin_families: dict[str, FamilySpec] = field(default_factory=dict)
    plugins_loaded: bool = False
    _model_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _family_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add_builtin(self, families: Iterable[FamilySpec], models: Iterable[ModelSpec]) -> None:
        for family in families:
            self.builtin_families[family.id] = family
        for model in models:
            self.builtin_models[model.id] = model
        self.reset()

    def reset(self) -> None:
        """Forget the plugins; they load again on the next query."""
        self.models = dict(self.builtin_models)
        self.families = dict(self.builtin_families)
        self.plugins_loaded = False
        self._index()

    def load_plugins(self) -> None:
        if self.plugins_loaded:
            return
        self.plugins_loaded = True
        from importlib.metadata import entry_points

        for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            self._load_entry(entry)
        self._index()

    def _load_entry(self, entry) -> None:
        label = f"{ENTRY_POINT_GROUP} entry point {entry.name!r} ({entry.value})"
        try:
            loaded = entry.load()
            if callable(loaded) and not isinstance(loaded, (ModelSpec, FamilySpec)):
                loaded = loaded()
            items = [loaded] if isinstance(loaded, (ModelSpec, FamilySpec)) else list(loaded)
        except Exception as error:  # a plugin's bug must not stop kb
            warnings.warn(f"{label} failed to load: {type(error).__name__}: {error}; its models are skipped",
                          KbPluginWarning, stacklevel=2)
            return
        families = [item for item in items if isinstance(item, FamilySpec)]
        models = [item for item in items if isinstance(item, ModelSpec)]
        others = [item for item in items if not isinstance(item, (ModelSpec, FamilySpec))]
        for item in others:
            warnings.warn(f"{label} gave {type(item).__name__!s} {item!r}; expected ModelSpec or FamilySpec",
                          KbPluginWarning, stacklevel=2)
        for family in families:
            if family.id in self.families:
                warnings.warn(f"{label}: family id {family.id!r} is already registered; skipped",
                              KbPluginWarning, stacklevel=2)
            else:
                self.families[family.id] = family
        for model in models:
            if model.id in self.models:
                warnings.warn(f"{label}: model id {model.id!r} is already registered; skipped",
                              KbPluginWarning, stacklevel=2)
            elif model.family not in self.families:
                warnings.warn(f"{label}: model {model.id!r} names unknown family {model.family!r}; skipped",
                              KbPluginWarning, stacklevel=2)
            else:
                self.models[model.id] = model
                family = self.families[model.family]
                if model.id not in family.variants:
                    self.families[family.id] = _with_variant(family, model.id)

    def _index(self) -> None:
        self._model_keys = _keys(self.models.values())
        self._family_keys = _keys(self.families.values())

    def find_model(self, text: str) -> ModelSpec | None:
        self.load_plugins()
        ids = self._model_keys.get(name_key(text), ())
        return self.models[ids[0]] if len(ids) == 1 else None

    def find_family(self, text: str) -> FamilySpec | None:
        self.load_plugins()
        ids = self._family_keys.get(name_key(text), ())
        if len(ids) == 1:
            return self.families[ids[0]]
        if ids:
            return None
        model = self.find_model(text)
        return self.families.get(model.family) if model else None


def _with_variant(family: FamilySpec, model_id: str) -> FamilySpec:
    return replace(family, variants=(*family.variants, model_id))


def _keys(specs: Iterable[ModelSpec | FamilySpec]) -> dict[str, tuple[str, ...]]:
    """name key -> ids it can mean (more than one: ambiguous)."""
    index: dict[str, list[str]] = {}
    for spec in specs:
        for name in spec.names():
            ids = index.setdefault(name_key(name), [])
            if spec.id not in ids:
                ids.append(spec.id)
    return {key: tuple(ids) for key, ids in index.items() if key}
