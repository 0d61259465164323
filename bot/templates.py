"""Render content templates in Jinja's sandbox.

Content is written by admins; what a person types only ever enters as a variable, and
Jinja never evaluates a variable's value as template code, so ``{{ 7*7 }}`` typed into a
company name comes out as those eight characters. The sandbox additionally stops a
careless content edit from reaching Python internals, and ``StrictUndefined`` turns a
misspelt variable into an error at ``content check`` instead of a blank in a message.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["TemplateSyntaxError", "compile_condition", "compile_template", "env"]

env = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


class Template:
    """A compiled template; ``render`` tidies blank lines left by ``{% if %}`` blocks.

    ``prose`` templates are chat messages: YAML keeps the author's hard line breaks, which
    chat clients would show mid-sentence, so lines of one paragraph are joined. Drafts
    are not prose: their line breaks are the layout of a letter.
    """

    def __init__(self, source: str, *, prose: bool) -> None:
        self.source = source
        self._prose = prose
        self._template = env.from_string(_keep_inline_newlines(source))

    def render(self, context: dict[str, Any]) -> str:
        text = _tidy(self._template.render(context))
        return _unwrap(text) if self._prose else text


def compile_template(source: str, *, prose: bool = True) -> Template:
    """:raises TemplateSyntaxError: with ``lineno`` relative to ``source``."""
    return Template(source, prose=prose)


def compile_condition(expression: str) -> Any:
    """A Jinja expression such as ``case.improvements | length >= 3``, as a callable."""
    env.parse("{{ " + expression + " }}")  # raises TemplateSyntaxError with a clear message
    return env.compile_expression(expression, undefined_to_none=False)


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

