"""Text layout every renderer shares: cutting long text, packing pieces into messages,
code blocks that typed text cannot close, list items, labels, buttons or a menu.

Escaping is not here: each platform has its own markup (Slack's mrkdwn entities,
Discord's markdown and mentions), so each renderer passes its own escape function in.
The policy is shared: every line is escaped, except the engine's own ``- `` list items,
whose marker is kept (or turned into the platform's bullet) so lists still read as lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.messages import Option

__all__ = [
    "ELLIPSIS",
    "FENCE",
    "MAX_BUTTONS",
    "ZWSP",
    "as_buttons",
    "chosen_line",
    "list_item",
    "map_lines",
    "neutralize_fences",
    "pack",
    "shorten",
    "split_text",
]

FENCE = "```"
ZWSP = "\u200b"
ELLIPSIS = "…"
# A check-in's done/something happened/tomorrow/next week/skip/stop set stays one click
# away as buttons; more options than this read better as one menu.
MAX_BUTTONS = 10
_ITEM = "- "

CutFix = Callable[[str, int], int]


def split_text(text: str, limit: int, *, breaks: Sequence[str] = (), floor: int = 0,
               strip: str = "", safe_cut: CutFix | None = None) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters.

    Each cut goes after the last of the first ``breaks`` found between ``floor`` and
    ``limit`` (tried in order), else at ``limit``; ``safe_cut`` may move a cut earlier
    (never inside an escape, say). ``strip`` is dropped from the start of what follows a
    cut. Empty pieces are left out.
    """
    pieces: list[str] = []
    while len(text) > limit:
        cut = _last_break(text, limit, breaks, floor)
        if safe_cut is not None:
            cut = safe_cut(text, cut)
        pieces.append(text[:cut])
        text = text[cut:].lstrip(strip)
    return [*pieces, text] if text else pieces


def _last_break(text: str, limit: int, breaks: Sequence[str], floor: int) -> int:
    for brk in breaks:
        cut = text.rfind(brk, floor, limit)
        if cut > 0:
            return cut
    return limit


def pack(pieces: Iterable[str], limit: int, *, sep: str = "\n\n") -> list[str]:
    """Join consecutive pieces with ``sep`` while the result stays within ``limit``, so a
    reply takes as few messages (or blocks) as it can."""
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + len(sep) + len(piece) <= limit:
            packed[-1] = f"{packed[-1]}{sep}{piece}"
        else:
            packed.append(piece)
    return packed


def neutralize_fences(text: str) -> str:
    """Break every triple backtick with zero-width spaces, so text shown inside a code
    block cannot close it early (and what follows cannot act as markup)."""
    return text.replace(FENCE, f"`{ZWSP}`{ZWSP}`")


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit``, else cut to end with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def list_item(line: str) -> tuple[bool, str] | None:
    """``(nested, body)`` for one of the engine's ``- `` list items, else ``None``."""
    stripped = line.lstrip()
    if not stripped.startswith(_ITEM):
        return None
    return line != stripped, stripped[len(_ITEM):]


def map_lines(text: str, *, plain: Callable[[str], str],
              item: Callable[[str, bool], str]) -> str:
    """Each line through ``plain``, except list items, whose body and nesting go to
    ``item`` (which escapes the body and writes the platform's marker)."""
    out = []
    for line in text.split("\n"):
        found = list_item(line)
        out.append(plain(line) if found is None else item(found[1], found[0]))
    return "\n".join(out)


def chosen_line(bold_label: str) -> str:
    """The note that replaces a clicked message's buttons; the label comes escaped and
    in the platform's bold."""
    return f"You chose: {bold_label}"


def as_buttons(options: Sequence[Option], *,
               value_fits: Callable[[str], bool] = lambda _value: True) -> bool:
    """Buttons for up to :data:`MAX_BUTTONS` options whose values fit the platform's
    button id; otherwise the renderer shows one menu."""
    return len(options) <= MAX_BUTTONS and all(value_fits(o.value) for o in options)
