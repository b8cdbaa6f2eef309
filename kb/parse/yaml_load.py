"""libyaml's safe loader, for the frontmatter `kb.parse.frontmatter` does not read itself.

This module is not compiled with the rest of the parser (see setup.py): its loader
class extends libyaml's, which a class compiled by mypyc cannot.
"""

from __future__ import annotations

from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKeyLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, noting every key a mapping repeats (with its 0-based line)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.repeated: list[tuple[str, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[tuple[str, str]] = set()
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                ident = (key_node.tag, key_node.value)
                if ident in seen:
                    self.repeated.append((key_node.value, key_node.start_mark.line))
                seen.add(ident)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, may_repeat: bool) -> tuple[Any, list[tuple[str, int]]]:
    """The YAML value, and the (key, 0-based line) of every repeated key."""
    if not may_repeat:
        return yaml.load(text, Loader=_Loader), []
    loader = _DuplicateKeyLoader(text)
    try:
        return loader.get_single_data(), loader.repeated
    finally:
        loader.dispose()
