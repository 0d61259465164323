"""Read a message the person wrote themselves and point out what may cost them.

A note after a rejection is read by someone deciding whether to remember the writer
kindly. Heat, arguing with the decision, pleading, a missing thank-you or ask, a
misspelt name and sheer length are the usual ways a well-meant note backfires, and a
person who is upset rarely sees them in their own words. Each finding quotes the
sentence as written with a suggestion; what to look for is content
(``content/tone.yaml``).

Nothing here sends, stores or logs anything: the draft is an argument, the findings are
the result, and the caller decides what to show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from bot.content.tone_file import SENTENCE_FAULTS, ToneFile
from bot.conversation.names import parse_contact
from bot.records import CaseRecord

__all__ = ["FAULTS", "Finding", "check_draft", "check_for_case", "findings_reply", "word_count"]

#: every fault the check can report, in the order findings are listed
FAULTS = (*SENTENCE_FAULTS, "no_thanks", "no_ask", "wrong_name", "too_long")
#: a quoted sentence longer than this is cut, so a draft without full stops is never
#: echoed back whole
QUOTE_CHARS = 160

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_WORD = re.compile(r"[^\W\d_][\w'’&-]*")
_WORDS_COUNTED = re.compile(r"\S*\w\S*")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
#: what a company's name may end with that people leave out ("Acme" for "Acme Corp")
_LEGAL_SUFFIXES = frozenset({
    "inc", "inc.", "ltd", "ltd.", "llc", "plc", "gmbh", "ag", "corp", "corp.",
    "corporation", "co", "co.", "company", "group", "limited", "sa", "s.a.", "bv", "nv",
})


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to look at: the fault (one of :data:`FAULTS`), the sentence it is in as
    the person wrote it (``""`` for what is missing from the whole message, like a
    thank-you), and a suggested rewrite or what to add."""

    fault: str
    sentence: str
    suggestion: str


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str  # as written, for quoting
    plain: str  # apostrophes straightened, for matching
    starts_at: int


def check_draft(text: str, *, company: str, contact: str, spec: ToneFile) -> list[Finding]:
    """Everything worth a second look in ``text``, in the order of :data:`FAULTS`.

    ``company`` and ``contact`` are the case's names as logged (``""`` when unknown): a
    near miss of either is reported only when the right spelling is nowhere in the
    message, and no other name is ever questioned. An empty list: it reads well.
    """
    sentences = list(_sentences(text))
    heated: set[int] = set()
    findings: list[Finding] = []
    for fault in SENTENCE_FAULTS:
        for index, sentence in enumerate(sentences):
            rule = next((r for r in spec.rules_of(fault) if r.pattern.search(sentence.plain)),
                        None)
            if rule is not None:
                findings.append(Finding(fault, _quote(sentence.text), rule.suggestion))
                if fault != "begging":
                    heated.add(index)
    plain = text.translate(_APOSTROPHES)
    if not any(p.search(plain) for p in spec.patterns_of("thanks")):
        findings.append(Finding("no_thanks", "", spec.thanks.suggestion))
    missing_ask = _missing_ask(sentences, heated, spec)
    if missing_ask is not None:
        findings.append(missing_ask)
    findings.extend(_misspelt_names(text, sentences, company=company, contact=contact,
                                    spec=spec))
    words = word_count(text)
    if words > spec.word_limit:
        findings.append(Finding("too_long", "", spec.render(
            "too_long", {"words": words, "limit": spec.word_limit})))
    return findings


def findings_reply(findings: list[Finding], spec: ToneFile) -> str:
    """What the person sees: each finding with its sentence and suggestion, or a short
    "reads well". The draft itself is never repeated beyond the quoted sentences."""
    if not findings:
        return spec.render("replies.clean", {})
    items = [{"fault": f.fault, "label": _label(f, spec), "sentence": f.sentence,
              "suggestion": f.suggestion} for f in findings]
    return spec.render("replies.found", {"findings": items})


def check_for_case(text: str, case: CaseRecord | None, spec: ToneFile) -> str:
    """The reply to a draft written for ``case`` (its company and first contact are the
    names to spell right); without a case, names are not checked, and the reply says so.
    """
    company = (case.get("company") or "") if case else ""
    contact = (case.get("contact") or "") if case else ""
    reply = findings_reply(check_draft(text, company=company, contact=contact, spec=spec), spec)
    return reply if case else f"{spec.render('replies.no_case', {})}\n\n{reply}"


def word_count(text: str) -> int:
    """Words as a reader counts them: runs of non-space text with a letter or digit."""
    return len(_WORDS_COUNTED.findall(text))


def _label(finding: Finding, spec: ToneFile) -> str:
    if finding.fault in spec.faults:
        return spec.faults[finding.fault].label
    if finding.fault == "no_ask":
        return spec.ask.vague_label if finding.sentence else spec.ask.label
    part = {"no_thanks": spec.thanks.label, "wrong_name": spec.wrong_name.label,
            "too_long": spec.too_long.label}
    return part[finding.fault]


def _sentences(text: str) -> Iterator[_Sentence]:
    """Sentences split at end punctuation and line breaks, each kept as written."""
    for match in _SENTENCE.finditer(text):
        written = match.group().strip()
        if any(char.isalnum() for char in written):
            start = match.start() + (len(match.group()) - len(match.group().lstrip()))
            yield _Sentence(written, written.translate(_APOSTROPHES), start)


def _quote(sentence: str) -> str:
    return sentence if len(sentence) <= QUOTE_CHARS else sentence[:QUOTE_CHARS - 1] + "…"


def _missing_ask(sentences: list[_Sentence], heated: set[int],
                 spec: ToneFile) -> Finding | None:
    """No question or request (a rhetorical one in an angry or arguing sentence does not
    count), or only a vague one, which is quoted."""
    vague: _Sentence | None = None
    for index, sentence in enumerate(sentences):
        if index in heated:
            continue
        if any(p.search(sentence.plain) for p in spec.patterns_of("vague")):
            vague = vague or sentence
        elif any(p.search(sentence.plain) for p in spec.patterns_of("ask")):
            return None
    if vague is not None:
        return Finding("no_ask", _quote(vague.text), spec.ask.vague_suggestion)
    return Finding("no_ask", "", spec.ask.suggestion)


# -- names --------------------------------------------------------------------------

def _misspelt_names(text: str, sentences: list[_Sentence], *, company: str, contact: str,
                    spec: ToneFile) -> list[Finding]:
    found: list[Finding] = []
    for forms in (_company_forms(company), _contact_forms(contact)):
        for right in forms:
            if _present(right, text):
                break  # one right spelling of this name is enough
        else:
            near = _near_miss(forms, text, sentences)
            if near is not None:
                written, right, sentence = near
                found.append(Finding("wrong_name", _quote(sentence), spec.render(
                    "wrong_name", {"right": right, "written": written})))
    return found


def _company_forms(company: str) -> list[str]:
    """``"Halvorsen Logistics AS"`` → the name, the name without a legal suffix people
    usually leave out, and its first word when that is a distinctive one (five letters
    or more: "Halvorsen", not "The")."""
    words = company.split()
    core = words
    while len(core) > 1 and core[-1].lower().strip(",") in _LEGAL_SUFFIXES:
        core = core[:-1]
    forms = [" ".join(words), " ".join(core)]
    if len(core) > 1 and len(core[0]) >= 5:
        forms.append(core[0])
    return list(dict.fromkeys(f for f in forms if sum(c.isalpha() for c in f) >= 3))


def _contact_forms(contact: str) -> list[str]:
    """``"Dana Reyes"`` → the full name, the first name and the surname: the greeting
    usually carries only one of them."""
    full = parse_contact(contact).full
    forms = [full, *full.split()] if full else []
    return list(dict.fromkeys(f for f in forms if sum(c.isalpha() for c in f) >= 3))


def _present(name: str, text: str) -> bool:
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _near_miss(forms: list[str], text: str,
               sentences: list[_Sentence]) -> tuple[str, str, str] | None:
    """The closest capitalised run of words one or two typing slips from a form of the
    name (same first letter; not a sentence's first word for a short name, where
    ordinary words sit too close), with the sentence it is in. The word after a
    greeting ("hi catrina") counts in any case: on a phone, names go in lower case."""
    tokens = [(m.start(), re.sub(r"['’]s$", "", m.group())) for m in _WORD.finditer(text)]
    starts = {s.starts_at for s in sentences}
    greeted = {tokens[i + 1][0] for i in range(len(tokens) - 1)
               if tokens[i][1].lower() in _GREETINGS}
    best: tuple[int, str, str, int] | None = None
    for right in forms:
        size, allowed = len(right.split()), _slips_allowed(right)
        for index in range(len(tokens) - size + 1):
            at, first = tokens[index]
            candidate = " ".join(word for _, word in tokens[index:index + size])
            if first[:1].lower() != right[:1].lower():
                continue
            if not first[:1].isupper() and at not in greeted:
                continue
            if at in starts and len(right) < 6:
                continue
            slips = DamerauLevenshtein.distance(candidate.lower(), right.lower(),
                                                score_cutoff=allowed)
            if 0 < slips <= allowed and (best is None or slips < best[0]):
                best = (slips, candidate, right, at)
    if best is None:
        return None
    _, written, right, at = best
    sentence = next((s.text for s in reversed(sentences) if s.starts_at <= at), written)
    return written, right, sentence


#: words after which a name follows, whatever its case
_GREETINGS = frozenset({"hi", "hello", "hey", "dear", "hiya"})


def _slips_allowed(name: str) -> int:
    letters = len(name)
    return 1 if letters <= 5 else 2 if letters <= 10 else 3
