"""Render content templates in Jinja's sandbox.

Content is written by admins; what a person types only ever enters as a variable, and
Jinja never evaluates a variable's value as template code, so ``{{ 7*7 }}`` typed into a
company name comes out as those eight characters. The sandbox additionally stops a
careless content edit from reaching Python internals, and ``StrictUndefined`` turns a
misspelt variable into an error at ``content check`` instead of a blank in a message.

Two layers, because ``content check`` renders each template once, with sample data, and
cannot see a branch the sample does not take: at compile time a template that names an
underscore attribute or a method that changes its data (``''.__class__``,
``case.update(...)``) is refused outright; at render time the immutable sandbox raises
``SecurityError`` for whatever gets past that by a dynamic name (``|attr``), before it
runs, so nothing is ever changed.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["TemplateSyntaxError", "compile_condition", "compile_template", "env"]

env = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)

# Methods that change a list, dict or set in place: a template only reads its data.
MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update",
    "setdefault", "add", "discard", "sort", "reverse", "difference_update",
    "intersection_update", "symmetric_difference_update",
})


class Template:
    """A compiled template; ``render`` tidies blank lines left by ``{% if %}`` blocks.

    ``prose`` templates are chat messages: YAML keeps the author's hard line breaks, which
    chat clients would show mid-sentence, so lines of one paragraph are joined. Drafts
    are not prose: their line breaks are the layout of a letter.
    """

    def __init__(self, source: str, *, prose: bool) -> None:
        self.source = source
        self._prose = prose
        tree = env.parse(_keep_inline_newlines(source))
        _refuse_unsafe(tree)
        self._template = env.from_string(tree)

    def render(self, context: dict[str, Any]) -> str:
        text = _tidy(self._template.render(context))
        return _unwrap(text) if self._prose else text


def compile_template(source: str, *, prose: bool = True) -> Template:
    """:raises TemplateSyntaxError: with ``lineno`` relative to ``source``."""
    return Template(source, prose=prose)


def compile_condition(expression: str) -> Any:
    """A Jinja expression such as ``case.improvements | length >= 3``, as a callable."""
    # Raises TemplateSyntaxError with a clear message.
    _refuse_unsafe(env.parse("{{ " + expression + " }}"))
    return env.compile_expression(expression, undefined_to_none=False)


def _refuse_unsafe(tree: nodes.Template) -> None:
    """:raises TemplateSyntaxError: the template names a Python internal (a name that
    starts with ``_``) or a method that would change the data it is given."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = _looked_up(node)
        if name is None:
            continue
        if name.startswith("_"):
            raise TemplateSyntaxError(
                f"{name!r}: templates may not reach Python internals", node.lineno)
        if name in MUTATING_METHODS:
            raise TemplateSyntaxError(
                f"{name!r}: templates may only read their data, not change it", node.lineno)


def _looked_up(node: nodes.Node) -> str | None:
    """The name an attribute or item lookup uses, when it is written in the template."""
    if isinstance(node, nodes.Getattr):
        return str(node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return node.arg.value if isinstance(node.arg.value, str) else None
    return None


_INLINE_TAG_AT_END = re.compile(r"^(?P<head>\s*[^{\s].*?)(?P<tag>\{%[^%]*?)(?<![-+])%\}\s*$")


def _keep_inline_newlines(source: str) -> str:
    """``trim_blocks`` eats the newline after every block tag, which is right for a tag
    on a line of its own and wrong for ``- Contact: x{% endif %}`` ending a line of text.
    Mark such tags ``+%}`` so Jinja keeps their newline, and authors need not know."""
    lines = source.split("\n")
    return "\n".join(_INLINE_TAG_AT_END.sub(r"\g<head>\g<tag>+%}", line) for line in lines)


def _tidy(text: str) -> str:
    """Strip trailing spaces and fold three or more newlines into a paragraph break."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out)


def _unwrap(text: str) -> str:
    """Join the lines of each paragraph; keep ``- `` list items on lines of their own."""
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        joinable = out and out[-1] and stripped and not stripped.startswith("- ")
        if joinable and (line[:1].isspace() or not out[-1].lstrip().startswith("- ")):
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped)
    return "\n".join(out)

