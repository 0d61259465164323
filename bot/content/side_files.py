"""What the content files that live beside the core ones (``feedback.yaml``,
``tone.yaml``) share: parsing with line numbers, and collecting every problem at once.

Each such file has its own pydantic model and its own checks; this module only reads
the YAML, validates it against the model, and gives each error its file, line and key
(``"tone.yaml:12: faults.heat.patterns.0: message"``), the form the loader reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ValidationError

from bot.content.patterns import PatternError, TextPattern, compile_pattern
from bot.content.templates import Template, compile_template
from bot.content.yaml_lines import LinedYaml, load_yaml_with_lines

__all__ = ["FileChecker", "parse_side_file"]

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[str | int, ...]


class FileChecker:
    """Collects every problem in one file, each naming the file, line and key."""

    def __init__(self, file_name: str, doc: LinedYaml | None) -> None:
        self.file_name = file_name
        self.doc = doc
        self.errors: list[str] = []

    def fail(self, path: Path_, message: str) -> None:
        line = self.doc.line_of(path) if self.doc else None
        where = f"{self.file_name}:{line}" if line else self.file_name
        key = ".".join(map(str, path))
        self.errors.append(f"{where}: {key}: {message}" if key else f"{where}: {message}")

    def pattern(self, source: str, path: Path_) -> TextPattern | None:
        """``source`` compiled with RE2, or ``None`` (and the error noted)."""
        try:
            return compile_pattern(source)
        except PatternError as exc:
            self.fail(path, f"invalid regular expression (RE2 syntax, no backtracking): {exc}")
            return None

    def patterns(self, sources: list[str], path: Path_) -> list[TextPattern]:
        compiled = [self.pattern(source, (*path, index)) for index, source in enumerate(sources)]
        return [p for p in compiled if p is not None]

    def template(self, source: str, path: Path_, context: dict[str, Any]) -> Template | None:
        """``source`` compiled, and rendered once with ``context`` so an unknown variable
        is reported now; ``None`` (and the error noted) if either fails."""
        try:
            template = compile_template(source)
        except TemplateSyntaxError as exc:
            self.fail(path, f"template error: {exc.message}")
            return None
        try:
            template.render(context)
        except Exception as exc:  # any render failure is a content error
            self.fail(path, f"cannot be rendered: {exc}")
            return None
        return template


def parse_side_file(directory: Path, file_name: str,
                    model: type[M]) -> tuple[M | None, FileChecker]:
    """Read ``directory/file_name`` and validate it against ``model``."""
    try:
        doc = load_yaml_with_lines(directory / file_name)
    except FileNotFoundError:
        return None, _failed(file_name, "file is missing")
    except (OSError, UnicodeDecodeError) as exc:
        return None, _failed(file_name, f"cannot be read: {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"{file_name}:{mark.line + 1}" if mark else file_name
        checker = FileChecker(file_name, None)
        checker.errors.append(f"{where}: invalid YAML: {problem}")
        return None, checker
    checker = FileChecker(file_name, doc)
    try:
        return model.model_validate(doc.data), checker
    except ValidationError as exc:
        for err in exc.errors():
            checker.fail(tuple(err["loc"]), err["msg"])
        return None, checker


def _failed(file_name: str, message: str) -> FileChecker:
    checker = FileChecker(file_name, None)
    checker.fail((), message)
    return checker
