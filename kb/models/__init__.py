"""Reference models: paper-faithful definitions of the architectures the notes discuss.

The registry (this package's top level) is plain data and never imports torch:

    >>> from kb.models import MODELS, find_model
    >>> find_model("**ResNet-50**").id
    'resnet50'
    >>> MODELS["vgg16"].where
    'Table 1, configuration D'

`spec.build()` imports the family module (and torch) and returns an `nn.Module`;
`kb.measure` measures every model and caches the results.
"""

from __future__ import annotations

from kb.models import catalog
from kb.models.registry import (
    ENTRY_POINT_GROUP,
    FamilySpec,
    KbPluginWarning,
    ModelSpec,
    Paper,
    _Registry,
    _Table,
    name_key,
)

__all__ = [
    "ENTRY_POINT_GROUP", "FAMILIES", "FamilySpec", "KbPluginWarning", "MODELS", "ModelSpec", "Paper",
    "find_family", "find_model", "name_key", "reload_plugins",
]

_registry = _Registry()
_registry.add_builtin(catalog.FAMILIES, catalog.MODELS)

MODELS: _Table = _Table(_registry, "models")
"""Model id -> ModelSpec, built-in models first, then plugins (entry-point group `kb.models`)."""

FAMILIES: _Table = _Table(_registry, "families")
"""Family id -> FamilySpec."""


def find_model(text: str) -> ModelSpec | None:
    """The model a name means, as people write it ("ResNet-50", "resnet 50", "[[VGG-16]]").

    None when the name is unknown or could mean several models ("ResNet").
    """
    return _registry.find_model(text)


def find_family(text: str) -> FamilySpec | None:
    """The family a name means ("ResNets", "VGGNet", "Inception"); a model name gives its family."""
    return _registry.find_family(text)


def reload_plugins() -> None:
    """Forget loaded plugins so the next query reads the `kb.models` entry points again."""
    _registry.reset()
