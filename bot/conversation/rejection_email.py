"""Read a pasted rejection email (or a raw ``.eml`` message) into the fields of a case.

A person who pastes the email should not have to retype what it says: the company, the
role, who wrote, when, how far they got and any reason given. Every field is read only
from something the email actually says; a field it does not support stays ``None`` so
the conversation shows "not found" and asks, because a wrong company in a draft is worse
than a question. Quoted earlier replies, signatures (read for the sender, not the body),
legal footers and unsubscribe lines are set apart before anything is looked for
(bot/conversation/mail_text.py).

Pure: no I/O and no clock (``today`` is given, for dates written without a year).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime

from bot.conversation.mail_text import (
    CLOSING,
    Mail,
    header_block,
    letter_and_signature,
    read_raw,
    split_message,
)
from bot.conversation.parsers import parse_date
from bot.conversation.stages import stage_kind

__all__ = ["Extracted", "looks_like_email", "read_rejection"]


@dataclass(frozen=True)
class Extracted:
    """What a rejection email says; ``None`` wherever it does not say it."""

    is_email: bool
    company: str | None = None
    role: str | None = None
    sender_name: str | None = None
    sender_title: str | None = None
    date: str | None = None
    stage: str | None = None
    reason: str | None = None


# -- recognising a rejection ----------------------------------------------------------

_REJECTION_CUES = re.compile(
    r"unfortunately|regret|not to (?:move|proceed)|decided to (?:move|proceed|pursue|go)|"
    r"other candidates?|another candidate|not (?:been )?selected|not be (?:moving|proceeding)|"
    r"won't be (?:moving|proceeding)|will not be (?:moving|proceeding|progressing)|"
    r"not (?:be )?progress|leider|absage|nicht berücksichtig|anderen? (?:Kandidat|Bewerber)|"
    r"lamentablemente|desafortunadamente|no ha(?:s)? sido seleccionad|otros? candidat|"
    r"otra candidatura|malheureusement|pas (?:été )?retenue?|au regret|d'autres candidat|"
    r"une autre candidature|ne pas donner suite|no continuar|decided not|not going to|"
    r"went with|gone with|chosen (?:to \w+ \w+ with )?another|nicht weiter|"
    r"no vamos a continuar|pas (?:pu|pouvons)|not (?:been )?successful|not to extend|"
    r"going with (?:someone|another|a different)|bad news|filled the|"
    r"offered the (?:job|position|role) to",
    re.IGNORECASE)
_GREETING = re.compile(
    r"^(?:dear|hi|hello|hey|hallo|guten tag|sehr geehrte\w*|liebe\w*|estimad[oa]s?|hola|"
    r"bonjour|cher|chère|madame|monsieur)\b[^\n]{0,50}[,!:]?\s*$",
    re.IGNORECASE | re.MULTILINE)


def looks_like_email(text: str) -> bool:
    """Whether ``text`` reads like a rejection email rather than a person's own words.

    Needs a rejection phrase and the shape of a letter (header lines, a greeting on its
    own line, or a closing line): people telling the coach what happened use the first
    but rarely the second.
    """
    if not _REJECTION_CUES.search(text):
        return False
    headers = header_block(text)[0]
    return bool(headers) or bool(_GREETING.search(text)) or bool(CLOSING.search(text))


# -- the sender -----------------------------------------------------------------------

_AUTOMATED = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|notifications?|talent|careers|jobs|"
    r"recruiting|recruitment|hiring|hr|bewerbung|empleo|recrutement)[\w.+-]*@|"
    r"@(?:[\w-]+\.)*(?:greenhouse\.io|lever\.co|myworkday\.com|workday\.com|"
    r"smartrecruiters\.com|ashbyhq\.com|teamtailor(?:-mail)?\.com|workablemail\.com|"
    r"workable\.com|personio\.\w+|bamboohr\.com|icims\.com|jobvite\.com)$",
    re.IGNORECASE)
_TEAM_WORDS = re.compile(
    r"\b(?:talent(?: acquisition)?|recruiting|recruitment|careers?|hiring|jobs|people|hr|"
    r"team|notifications?|no-?reply|acquisition|via \w+|équipe|equipo|recrutement|"
    r"selección|personal|bewerbermanagement)\b",
    re.IGNORECASE)
# "Farah-Jensen", "O'Neill", "McLeod"; a first name may be an initial ("J. Alvarez")
_NAME_PART = r"(?:Mc|Mac|O['’])?[A-ZÀ-Ý][a-zà-ÿ'’]+(?:-[A-ZÀ-Ý][a-zà-ÿ'’]+)*"
_NAME_WORD = rf"(?:{_NAME_PART}|de|van|von|der|del|la|le|da|di)"
_PERSON = re.compile(rf"^(?:{_NAME_PART}|[A-Z]\.)(?: {_NAME_WORD}){{1,3}}$")
_TITLE_WORDS = re.compile(
    r"recruit|talent|hiring|manager|head|director|lead|partner|people|\bhr\b|engineer|"
    r"founder|ceo|cto|coo|coordinator|specialist|acquisition|personal|recrut|responsable|"
    r"reclut|selecci|gerente|direct|chargée?|consultant|sourcer|vp|president|officer",
    re.IGNORECASE)
_TITLE_SPLIT = re.compile(r"\s*(?:,|\||·|–| - | at | bei | chez | en | @ )\s*")


_HONORIFIC = re.compile(r"^(?:Dr|Prof|Mr|Ms|Mrs|Mx|Dott|Herr|Frau|Sr|Sra)\.?\s+")


def _is_person(name: str) -> bool:
    return bool(_PERSON.match(name)) and not _TEAM_WORDS.search(name)


def _without_honorific(name: str) -> str:
    """``Dr. Alan Reese`` → ``Alan Reese``: the draft addresses them as it sees fit."""
    return _HONORIFIC.sub("", name.strip())


def _sender(mail: Mail, signature: list[str],
            company: str | None) -> tuple[str | None, str | None]:
    """Name and title of the person who wrote, from the signature or the From header.

    An automated address (noreply, an applicant-tracking system) is not a person: only a
    signature can name one then.
    """
    display = mail.sender_name.strip().strip('"')
    header_name = _without_honorific(display)
    if _AUTOMATED.search(mail.sender_address) or not _is_person(header_name):
        header_name = ""
    first = _without_honorific(signature[0]) if signature else ""
    if first and first in (display, company):
        first = ""  # the company signing, not a person
    name: str | None = None
    if _is_person(first):
        name = first
    elif header_name:  # the full name, also when the signature gives the first name only
        name = header_name
    if name is None:
        return None, None
    title = None
    if len(signature) > 1 and _without_honorific(signature[0]) in (name, name.split()[0]):
        candidate = _TITLE_SPLIT.split(signature[1])[0].strip()
        if (_TITLE_WORDS.search(candidate) and len(candidate.split()) <= 7
                and not re.search(r"[@\d/]", candidate)):
            title = candidate
    return name, title


# -- company and role -----------------------------------------------------------------

_NAME = (r"(?P<c>[A-Z0-9][\w&'’.-]*(?:(?<!\.)[ ](?:[A-Z0-9&][\w&'’.-]*|of|and|und|&|de|du|"
         r"la|for)){0,4})")
_COMPANY_IN_TEXT = tuple(re.compile(p) for p in (
    rf"(?:interest in|interested in|applying to|applying at|application to|"
    rf"application with|speaking with us at|here at|"
    rf"everyone at|the team at|position at|role at|opportunity at|career at|"
    rf"careers at|working at|join|joining) {_NAME}",
    rf"(?:Interesse an|Interesse für|Bewerbung bei|Zeit bei) {_NAME}",
    rf"(?:intérêt pour|intérêt porté à|portez à|candidature chez|au sein de|rejoindre) {_NAME}",
    rf"(?:interés en|interés por|candidatura en|unirte a|formar parte de|en el equipo de)"
    rf" {_NAME}",
))
_TEAM_SIGN_OFF = re.compile(r"\b(?:team|équipe|equipo)\b", re.IGNORECASE)
_A_JOB_NEXT = re.compile(r"\s+(?:roles?|positions?|openings?|jobs?|vacanc\w+|teams?|"
                         r"department)\b", re.IGNORECASE)
_COMPANY_IN_SUBJECT = re.compile(
    rf"(?:application|candidature|candidatura|Bewerbung|onsite|interview)\b.{{0,30}}?"
    rf"\b(?:at|to|with|bei|chez|en)\s+{_NAME}\s*$", re.IGNORECASE)
# a recruitment agency's own name is not the employer's
_AGENCY = re.compile(r"recruit|staffing|talent|personnel|headhunt|search partners",
                     re.IGNORECASE)
_NOT_COMPANY = {"the", "our", "we", "us", "your", "you", "a", "an", "this", "that", "it",
                "unfortunately", "thank", "thanks", "leider", "ihnen", "uns", "nous",
                "nosotros", "el", "la", "le", "les", "los", "las", "die", "der", "das",
                "re", "aw", "fw", "fwd", "tr", "application", "update", "your application",
                "ihre", "votre", "tu", "su", "position", "role", "team", "interview",
                "mit", "them", "her", "him"}


def _clean_company(raw: str) -> str | None:
    words = raw.strip(" .,'’").split()
    while words and words[-1].lower() in {"of", "and", "und", "&", "de", "du", "la", "for"}:
        words.pop()
    name = re.sub(r"['’]s$", "", " ".join(words)).strip(" .,")
    if not name or name.lower() in _NOT_COMPANY or name.split()[0].lower() in _NOT_COMPANY:
        return None
    return name


def _company_from_display(display: str) -> str | None:
    """``Acme Talent Team`` → ``Acme``; ``Talent Acquisition at Acme`` → ``Acme``."""
    after = re.search(r"\b(?:at|@|bei|chez|en)\s+(.+)$", display)
    if after and _TEAM_WORDS.search(display[:after.start()]):
        return _clean_company(after.group(1))
    stripped = _TEAM_WORDS.sub(" ", re.sub(r"[()]", " ", display))
    stripped = re.sub(r"\b(?:the|via|from|at|your|ihr|dein|votre|ton|tu|su|el|l['’])(?!\w)",
                      " ", stripped, flags=re.IGNORECASE)
    return _clean_company(" ".join(stripped.split())) if stripped.strip() else None


def _company(mail: Mail, letter: str, signature: list[str],
             role: str | None) -> str | None:
    """The company, from the first place that names it: the letter's own words, the
    subject, a team's display name or sign-off, the signature."""
    after_role = _company_after_role(letter, role)
    if after_role:
        return after_role
    for pattern in _COMPANY_IN_TEXT:
        for found in pattern.finditer(letter):
            if _A_JOB_NEXT.match(letter, found.end()):
                continue  # "interest in Data Science roles at Acme"
            name = _clean_company(found.group("c"))
            if name:
                return name
    subject = re.sub(r"^(?:(?:re|aw|fw|fwd|tr)\s*:\s*)+", "", mail.subject, flags=re.I)
    in_subject = _COMPANY_IN_SUBJECT.search(subject)
    if in_subject:
        name = _clean_company(in_subject.group("c"))
        if name:
            return name
    display = mail.sender_name.strip().strip('"')
    if display and (_AUTOMATED.search(mail.sender_address) or _TEAM_WORDS.search(display)):
        name = _company_from_display(display)
        if name:
            return name
    team = re.search(r"^the ([\w&.' -]{1,40}?) (?:talent |recruiting |hiring |people )?team",
                     letter, re.IGNORECASE | re.MULTILINE)
    if team:
        name = _clean_company(team.group(1))
        if name:
            return name
    if signature and _TEAM_SIGN_OFF.search(signature[0]):  # "The People Team at Loop"
        name = _company_from_display(signature[0])
        if name:
            return name
    return _company_in_signature(signature)


def _company_in_signature(signature: list[str]) -> str | None:
    """``Title, Company`` on the line after the name, or ``Company`` on the line after
    the title; never a recruitment agency's name."""
    for index, line in enumerate(signature[1:3], start=1):
        parts = _TITLE_SPLIT.split(line)
        if len(parts) > 1 and _TITLE_WORDS.search(parts[0]):
            candidate = parts[-1]
        elif index == 2 and _is_person(signature[0]) and _TITLE_WORDS.search(signature[1]):
            candidate = line
        else:
            continue
        name = _clean_company(candidate)
        if name and re.fullmatch(_NAME, name) and not _AGENCY.search(name):
            return name
    return None


def _company_after_role(letter: str, role: str | None) -> str | None:
    """``the Junior Accountant position at Fairbank & Holt`` → ``Fairbank & Holt``."""
    if role is None:
        return None
    found = re.search(rf"{re.escape(role)}(?: position| role| vacancy)? (?:at|with|bei|chez|en)"
                      rf" {_NAME}", letter)
    return _clean_company(found.group("c")) if found else None


_ROLE_END = (r"(?=\s+(?:at|with|bei|chez|en|in|au sein)\b|\s+(?:and|und|y|et)\s+"
             r"(?:(?-i:[a-zà-ÿ])|(?:Ihr|Ihre|Ihnen|Sie|Your|Votre|Tu|Su)\b)|"
             r"\s*[(.,;:!\n]|\s+-|$)")
_ROLE_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"(?:for|to|about) (?:the|our) (?:position|role|job|vacancy) of (?P<r>[^.,;\n(]{{2,60}}?)"
    rf"{_ROLE_END}",
    r"(?:for|to|in|about|on|that|filled) (?:the|our|this|a|an) (?P<r>[^.,;\n()]{2,60}?) "
    r"(?:position|role|opening|job|vacancy|opportunity)\b",
    rf"application for (?:the )?(?P<r>(?-i:[A-Z])[^.,;\n(]{{2,60}}?){_ROLE_END}",
    rf"Bewerbung (?:als|für die Position|auf die Stelle)(?: als)? (?P<r>[^.,;\n(]{{2,60}}?)"
    rf"{_ROLE_END}",
    rf"(?:Position|Stelle) als (?P<r>[^.,;\n(]{{2,60}}?){_ROLE_END}",
    rf"poste d[e']\s*(?P<r>[^.,;\n(]{{2,60}}?){_ROLE_END}",
    rf"(?:puesto|posición|vacante) de (?P<r>[^.,;\n(]{{2,60}}?){_ROLE_END}",
))
_ROLE_LEAD = re.compile(r"\s(?:for|as) (?:the |a |an )?|\s(?:about|on|in|to) (?:the|a|an|our) ")
_NOT_ROLE = re.compile(r"^(?:same|other|this|that|current|open|next|any|a|an|the|"
                       r"your|our|above|future|recruitment|hiring|selection)\b",
                       re.IGNORECASE)


def _role(mail: Mail, letter: str) -> str | None:
    subject = re.sub(r"^(?:(?:re|aw|fw|fwd|tr)\s*:\s*)+", "", mail.subject, flags=re.I)
    for text in (letter, subject + "."):
        for pattern in _ROLE_PATTERNS:
            for found in pattern.finditer(text):
                role = re.sub(r"\s+", " ", found.group("r")).strip(" '\"“”«»")
                # "the take-home exercise for the Frontend Developer role"
                role = _ROLE_LEAD.split(role)[-1]
                if role and not _NOT_ROLE.match(role) and len(role.split()) <= 7:
                    return role
    return None


# -- date, stage, reason --------------------------------------------------------------

_TIME_TAIL = re.compile(r",?\s+(?:(?:at|um|à|a las|a la)\s+)?\d{1,2}[:h]\d{2}\b.*$",
                        re.IGNORECASE)
_LETTER_DATE = re.compile(
    r"^(?:[A-ZÀ-Ý][\wà-ÿ -]{1,30},\s*)?(?:le |den |el )?(?P<d>[\w.,/ -]{6,30}\d{4})\s*$",
    re.MULTILINE)


def _date(mail: Mail, body: str, today: date) -> str | None:
    """The Date header, else a date on a line of its own in the letter (a dated letter)."""
    if mail.date_header:
        try:
            return parsedate_to_datetime(mail.date_header).date().isoformat()
        except (TypeError, ValueError):
            found = parse_date(_TIME_TAIL.sub("", mail.date_header), today=today)
            if found:
                return found.isoformat()
    for line in itertools.islice(_LETTER_DATE.finditer(body), MAX_DATE_LINES):
        found = parse_date(line.group("d"), today=today)
        if found:
            return found.isoformat()
    return None


# (pattern, the words stages.stage_kind reads it as); the later stages first
_STAGE_EVIDENCE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), words) for p, words in (
        (r"reference checks?|offer stage|background check", "references"),
        (r"final[- ](?:round|interview|stage)|on-?site|last round|letzten (?:Runde|Gespräch)|"
         r"finalen? (?:Runde|Gespräch)|Finalrunde|dernier entretien|entretien final|"
         r"dernière étape|ronda final|última (?:ronda|entrevista|fase)|entrevista final|"
         r"panel interview|superday|assessment (?:day|cent(?:re|er))", "final round"),
        (r"phone (?:screen|call|interview)|(?:initial|intro|introductory|screening|recruiter)"
         r" (?:call|chat|conversation|screen)|Telefon(?:interview|gespräch|at)|"
         r"entretien téléphonique|entrevista telefónica|llamada (?:inicial|telefónica)",
         "phone screen"),
        (r"interview(?:s|ed|ing)?\b|Vorstellungsgespräch|Interview|entretiens?\b|"
         r"entrevistas?\b|technical (?:round|assessment)|take-home|case study", "interview"),
    ))
_NO_INTERVIEW = re.compile(
    r"not (?:be )?(?:able to )?(?:invit\w*|mov\w*|progress\w*|select\w*)[^.]{0,40}"
    r"(?:interview|next (?:stage|step|round))", re.IGNORECASE)
_MET = re.compile(r"speak|spoke|speaking|talk|meet|met\b|conversation|chat|call\b|"
                  r"Gespräch|échange|conversación|hablar|rencontr", re.IGNORECASE)
_APPLIED = re.compile(
    r"review(?:ed|ing)? (?:of )?your (?:application|CV|résumé|resume|portfolio|qualifications)|"
    r"Unterlagen (?:sorgfältig )?geprüft|revis\w* tu (?:solicitud|candidatura|CV)|"
    r"étude (?:attentive )?de votre (?:dossier|candidature)", re.IGNORECASE)
_STAGE_LABELS = {"application": "application", "screen": "phone screen",
                 "interview": "first interview", "final": "final round",
                 "offer": "offer stage"}


def _stage(letter: str) -> str | None:
    """How far the person got, only where the letter says: an interview named, or an
    application with no talk of any conversation."""
    text = _NO_INTERVIEW.sub(" ", letter)
    for pattern, words in _STAGE_EVIDENCE:
        if pattern.search(text):
            return _STAGE_LABELS.get(stage_kind(words))
    if _MET.search(text) or not (_APPLIED.search(text) or _NO_INTERVIEW.search(letter)):
        return None
    return _STAGE_LABELS.get(stage_kind("application"))


_REASON = re.compile(
    r"because|as we (?:are|were|need)|we were looking for|looking for (?:someone|a candidate)|"
    r"more (?:hands-on |direct |senior |relevant )?\w* ?experience|experience (?:with|in|at|of) |"
    r"felt that|the team felt|we felt|deciding factor|main gap|"
    r"did not (?:quite )?(?:meet|demonstrate|show)|"
    r"(?:position|role) has been (?:filled|closed|put on hold|cancelled)|hiring freeze|"
    r"filled the [\w -]{2,60}(?:role|position)|someone internal|internal candidate|"
    r"budget|requires?|required|weil|da wir|mehr Erfahrung|Erfahrung (?:mit|in|im)|"
    r"gesucht|porque|buscábamos|más experiencia|experiencia (?:en|con)|car nous|"
    r"plus d'expérience|expérience (?:en|avec|dans)|recherchions|nécessite|requiert",
    re.IGNORECASE)
_GENERIC = re.compile(
    r"more closely (?:match|align)|high (?:volume|number) of|many (?:highly )?qualified|"
    r"(?:cannot|can't|unable to|not able to|not in a position to) (?:provide|give|offer|share)"
    r"|keep your (?:CV|resume|details|profile)|future (?:openings|opportunities|roles)|"
    r"encourage you to apply|wish you|stärker|besser (?:zu|passen)|se ajustan? mejor|"
    r"correspond\w* davantage|keine individuelle",
    re.IGNORECASE)


def _reason(letter: str) -> str | None:
    """The first sentence of the letter that gives a reason of its own, verbatim; the
    form letter's "candidates who more closely match" is not one."""
    flat = " ".join(letter.split())  # linear, unlike a regex over long runs of spaces
    for sentence in re.split(r"(?<=[.!?])\s+", flat):
        if _REASON.search(sentence) and not _GENERIC.search(sentence):
            return sentence.strip()
    return None


# -- the whole ------------------------------------------------------------------------


#: how much of a paste or file is read: a rejection email's text is a few kB; an HTML
#: mail with its markup a few tens; the rest is footers, quoted threads or junk
MAX_READ_CHARS = 60_000
#: dated lines tried as the letter's date (each costs a dateparser call)
MAX_DATE_LINES = 20


def read_rejection(text: str, *, today: date, filename: str | None = None) -> Extracted:
    """Every field a rejection email supports, ``None`` for the others.

    ``text`` is a paste (with or without a few header lines) or a whole raw message
    (``filename`` ending ``.eml`` makes sure it is read as one).
    """
    text = text[:MAX_READ_CHARS]
    if filename is not None and filename.lower().endswith(".eml"):
        mail = read_raw(text)
    else:
        mail = split_message(text)
    letter, signature = letter_and_signature(mail.body)
    role = _role(mail, letter)
    company = _company(mail, letter, signature, role)
    sender_name, sender_title = _sender(mail, signature, company)
    return Extracted(
        is_email=looks_like_email(text) or looks_like_email(mail.subject + "\n" + mail.body) or (
            bool(_REJECTION_CUES.search(mail.body)) and bool(mail.sender_address)),
        company=company,
        role=role,
        sender_name=sender_name,
        sender_title=sender_title,
        date=_date(mail, letter, today),
        stage=_stage(letter),
        reason=_reason(letter),
    )
