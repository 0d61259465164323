"""Load YAML and remember the line of every key, so content errors can point at a line.

PyYAML's safe loader forgets positions once it builds Python objects; composing the node
tree first keeps them, and the tree is small (an admin's content files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["LinedYaml", "load_yaml_with_lines"]

Path_ = tuple[str | int, ...]

#: libyaml's safe loader when PyYAML was built with it (about ten times faster: content
#: is loaded at every start), the pure-Python one otherwise; both keep node positions
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LinedYaml:
    """A parsed document plus ``line_of(path)``: the 1-based line of the nearest node."""

    def __init__(self, data: Any, lines: dict[Path_, int]) -> None:
        self.data = data
        self._lines = lines

    def line_of(self, path: Path_) -> int | None:
        for end in range(len(path), -1, -1):
            line = self._lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def load_yaml_with_lines(path: Path) -> LinedYaml:
    """Parse ``path`` safely. :raises yaml.YAMLError: with its own line in ``problem_mark``."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=_LOADER)
    lines: dict[Path_, int] = {}
    if node is None:
        return LinedYaml(None, lines)
    _walk(node, (), lines)
    return LinedYaml(yaml.load(text, Loader=_LOADER), lines)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)
