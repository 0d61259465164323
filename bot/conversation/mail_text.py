"""Plain text out of an email as people paste it or save it: headers, body, signature.

A rejection email reaches the coach as a paste (maybe with a few header lines on top,
maybe forwarded), or as a whole raw ``.eml`` message (plain text, HTML, multipart,
quoted-printable). What the extractors need is the same in every case: who sent it,
the subject, the Date header, the letter itself without the quoted earlier thread and
the legal footers, and the signature lines apart (they name the sender, not the topic).
Pure: no I/O.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import ClassVar

__all__ = ["CLOSING", "Mail", "header_block", "html_to_text", "letter_and_signature",
           "read_raw", "split_message"]


@dataclass(frozen=True)
class Mail:
    """A message split into what the extractors read."""

    sender_name: str
    sender_address: str
    subject: str
    date_header: str
    body: str


#: a letter's closing line ("Best regards,", "Mit freundlichen Grüßen", "The Acme Team"):
#: the signature follows it
CLOSING = re.compile(
    r"^(?:best(?: regards| wishes)?|kind regards|warm regards|warmly|regards|sincerely|"
    r"yours sincerely|yours truly|respectfully|kindest regards|all the best|thanks|"
    r"thank you|cheers|many thanks|with best wishes|"
    r"mit freundlichen grüßen|freundliche grüße|viele grüße|beste grüße|herzliche grüße|"
    r"liebe grüße|schöne grüße|cordialement|bien cordialement|bien à vous|"
    r"sincères salutations|bien amicalement|saludos(?: cordiales)?|un saludo|atentamente|"
    r"un cordial saludo|cordiales saludos|un abrazo|"
    r"the [\w&.' -]{1,40} team)[,.!]?\s*$",
    re.IGNORECASE | re.MULTILINE)
# the header lines people paste on top, in the four languages, and a raw message's own
_HEADER_LINE = re.compile(
    r"^(from|to|cc|subject|date|sent|reply-to|von|an|betreff|datum|gesendet|de|para|"
    r"asunto|fecha|enviado|objet|envoyé|à|mime-version|content-type|message-id|received|"
    r"return-path|content-transfer-encoding|x-[\w-]+)\s*:\s?(.*)$",
    re.IGNORECASE)
_RAW_HEADERS = {"mime-version", "content-type", "message-id", "received", "return-path",
                "content-transfer-encoding"}


# -- splitting the message ------------------------------------------------------------


def header_block(text: str) -> tuple[dict[str, str], str]:
    """Header lines at the very top of a paste (``From:``, ``Betreff:``...), and the rest."""
    lines = text.lstrip("\ufeff\n\r ").splitlines()
    headers: dict[str, str] = {}
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - the index is read after the loop
        found = _HEADER_LINE.match(line)
        if found:
            headers.setdefault(found.group(1).lower(), found.group(2).strip())
        elif line[:1] in (" ", "\t") and headers:
            continue  # a folded header line
        else:
            break
    else:
        index = len(lines)
    if not headers:
        return {}, text
    return headers, "\n".join(lines[index:])


_FORWARDED = re.compile(r"^\s*-{5,}\s*(?:forwarded message|weitergeleitete nachricht|"
                        r"message transféré|mensaje reenviado)\s*-{5,}\s*\n", re.IGNORECASE)


def split_message(text: str) -> Mail:
    # A forwarded rejection: the forwarded message is the one to read.
    headers, rest = header_block(_FORWARDED.sub("", text, count=1))
    if _RAW_HEADERS & headers.keys():
        return read_raw(text)
    name, address = parseaddr(headers.get("from") or headers.get("von")
                              or headers.get("de") or "")
    return Mail(name, address.lower(),
                 headers.get("subject") or headers.get("betreff") or headers.get("asunto")
                 or headers.get("objet") or "",
                 headers.get("date") or headers.get("sent") or headers.get("datum")
                 or headers.get("gesendet") or headers.get("fecha") or headers.get("enviado")
                 or headers.get("envoyé") or "",
                 rest)


def read_raw(text: str) -> Mail:
    # as bytes, so that an 8bit body in its declared charset is read as such
    message = email.message_from_bytes(text.encode("utf-8", "surrogateescape"),
                                       policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    return Mail(name, address.lower(), str(message.get("Subject", "")),
                 str(message.get("Date", "")), _body_text(message))


def _body_text(message: EmailMessage) -> str:
    """The plain-text part, else the HTML part turned into text."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _content_of(plain)
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return html_to_text(_content_of(html))
    return ""


def _content_of(part: MIMEPart) -> str:
    """A part's text. A charset Python does not know (``unknown-8bit``, which some mail
    programs write, or a typo) is read as UTF-8 with the odd byte replaced, rather than
    failing the whole email."""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


class _TextOfHtml(HTMLParser):
    """Text of an HTML mail, a line per block, without style and script."""

    _BLOCKS: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote"})
    _SKIP: ClassVar[frozenset[str]] = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(" ".join(data.split()) if data.strip() else "")


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail, blank lines between blocks."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- quoted replies, footers, signatures ----------------------------------------------

_QUOTE_START = re.compile(
    r"^(?:on .{4,120} wrote:|am .{4,120} schrieb .{0,80}:|le .{4,120} a écrit ?:|"
    r"el .{4,120} escribió:|-{2,}\s*(?:original message|ursprüngliche nachricht|"
    r"message d'origine|mensaje original)\s*-{2,}|_{10,}|"
    r"(?:from|von|de):\s.+@.+)\s*$",
    re.IGNORECASE)
_FOOTER = re.compile(
    r"confidential|privileged|intended (?:solely )?(?:for|recipient)|unsubscribe|"
    r"vertraulich|datenschutz|abmelden|confidencial|darse de baja|confidentiel|"
    r"se désinscrire|désabonner|do not reply|please don't reply|no-?reply|"
    r"this (?:e-?mail|message) (?:was|has been) sent|powered by|privacy (?:policy|notice)|"
    r"registered (?:office|in)|handelsregister|amtsgericht|geschäftsführ",
    re.IGNORECASE)


def _without_quotes(body: str) -> str:
    """The new message only: cut at the first quoted earlier reply, drop ``>`` lines."""
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    return "\n".join(kept)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def letter_and_signature(body: str) -> tuple[str, list[str]]:
    """The letter's text (footers dropped) and the signature lines after its closing."""
    text = _without_quotes(body)
    delimiter = re.search(r"^-- ?$", text, re.MULTILINE)
    signature_text = ""
    if delimiter:
        text, signature_text = text[:delimiter.start()], text[delimiter.end():]
    closings = list(CLOSING.finditer(text))
    closing = closings[-1] if closings else None
    if closing is not None:
        signature_text = text[closing.end():] + "\n" + signature_text
        text = text[:closing.start()] + ("\n" + closing.group(0)
                                         if closing.group(0).lower().startswith("the ")
                                         else "")
    letter = "\n\n".join(p for p in _paragraphs(text) if not _FOOTER.search(p))
    signature: list[str] = []
    for line in signature_text.splitlines():
        line = line.strip()
        if not line:
            if signature:
                break
            continue
        if _FOOTER.search(line):
            break
        signature.append(line)
    return letter, _signature_lines(signature)


def _signature_lines(lines: list[str]) -> list[str]:
    """``Sara`` over ``Sara Lindholm`` keeps the full name; ``Name | Title | Company`` on
    one line becomes three lines."""
    if len(lines) > 1 and len(lines[0].split()) == 1 and lines[1].startswith(lines[0] + " "):
        lines = lines[1:]
    if lines:
        parts = [p for p in re.split(r"\s*[|·]\s*", lines[0]) if p]
        if len(parts) > 1:
            lines = parts + lines[1:]
    return lines[:4]
