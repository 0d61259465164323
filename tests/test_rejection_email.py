"""Reading a pasted rejection email: the corpus's figures, then each case on its own.

Precision must stay 1.0 on every field (a wrong company in a draft is worse than a
question); recall has a floor per field, stated in RECALL_FLOORS.
"""

from __future__ import annotations

import pytest

from bot.conversation.mail_text import html_to_text
from bot.conversation.rejection_email import Extracted, looks_like_email, read_rejection
from tests.rejection_corpus import CORPUS, FIELDS, TODAY, cases, score

# The corpus reaches 1.0 on most fields; a floor leaves room for a new hard email
# without letting a regression through unnoticed.
RECALL_FLOORS = {"company": 0.9, "role": 0.9, "sender_name": 0.9, "sender_title": 0.9,
                 "date": 0.9, "stage": 0.9, "reason": 0.9}


def read(text: str, filename: str | None = None) -> Extracted:
    return read_rejection(text, today=TODAY, filename=filename)


def corpus_file(name: str) -> Extracted:
    return read((CORPUS / name).read_text(encoding="utf-8"), filename=name)


# -- the corpus -----------------------------------------------------------------------


def test_corpus_has_what_the_issue_asks_for() -> None:
    names = [name for name, _, want in cases() if "is_email" not in want]
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in (".txt", ".eml")}
    assert on_disk == {name for name, _, _ in cases()}, "every file has expected fields"
    assert len(names) >= 40
    emls = [n for n in names if n.endswith(".eml")]
    assert len(emls) >= 6
    raw = {n: (CORPUS / n).read_text(encoding="utf-8") for n in emls}
    assert sum("quoted-printable" in text for text in raw.values()) >= 1
    assert sum("text/plain" not in text for text in raw.values()) >= 2  # HTML only
    for language in ("german", "spanish", "french"):
        assert sum(language in n for n in names) >= 3, language
    assert len(names) < len(list(cases())) - 3  # 4 or more texts that are not rejections


def test_nothing_wrong_is_ever_filled_in() -> None:
    result = score()
    assert result.wrong == []
    assert all(result.precision(name) == 1.0 for name in FIELDS)


def test_recall_stays_above_its_floor() -> None:
    result = score()
    below = {name: round(result.recall(name), 2) for name in FIELDS
             if result.recall(name) < RECALL_FLOORS[name]}
    assert below == {}, result.missed


@pytest.mark.parametrize(("name", "text", "want"), list(cases()), ids=lambda v: str(v)[:40])
def test_is_email_tells_a_paste_from_a_message(name: str, text: str,
                                               want: dict[str, object]) -> None:
    expected = want.get("is_email", True)
    assert read(text, filename=name).is_email is expected
    if not name.endswith(".eml"):
        assert looks_like_email(text) is expected


# -- each case on its own -------------------------------------------------------------


def test_a_quoted_earlier_reply_is_not_read() -> None:
    text = ("Hi Sam,\n\nUnfortunately we have decided not to move forward.\n\nBest,\n"
            "Lee Grant\n\nOn Mon, Nov 23, 2026 at 9:00 AM Sam <sam@example.com> wrote:\n"
            "> Thank you for your interest in Wrongco, you said, for the Baker role.\n")
    found = read(text)
    assert (found.company, found.role) == (None, None)
    assert found.sender_name == "Lee Grant"
    quoted_lines = "Hi Sam,\n\nUnfortunately not this time.\n> interest in Wrongco\n\nBest,\nLee"
    assert read(quoted_lines).company is None


@pytest.mark.parametrize("marker", [
    "-----Original Message-----",
    "Am Mo., 23. Nov. 2026 um 09:00 Uhr schrieb Sam <sam@example.com>:",
    "Le lun. 23 nov. 2026 à 09:00, Sam <sam@example.com> a écrit :",
    "El lun, 23 nov 2026 a las 9:00, Sam (<sam@example.com>) escribió:",
])
def test_quotes_in_each_language_are_cut(marker: str) -> None:
    text = (f"Hello,\n\nRegrettably we chose another candidate.\n\nRegards,\nLee Grant\n\n"
            f"{marker}\nThank you for your interest in Wrongco.\n")
    assert read(text).company is None


def test_the_signature_gives_the_sender_title_and_company() -> None:
    found = corpus_file("r23_sig_delimiter.txt")  # after a "-- " line
    assert (found.sender_name, found.sender_title, found.company) == (
        "Leah Brandt", "Hiring Manager", "Copperfield Digital")
    found = corpus_file("r02_personal_after_final.txt")  # after "Best regards,"
    assert (found.sender_name, found.sender_title, found.company) == (
        "Dana Reyes", "Senior Technical Recruiter", "Quillstone Labs")


def test_a_recruitment_agency_is_not_the_company() -> None:
    found = corpus_file("r32_recruiter_agency.txt")
    assert found.company is None
    assert found.sender_name == "Gemma Hart"


def test_legal_footers_and_unsubscribe_lines_are_ignored() -> None:
    text = ("Dear Ana,\n\nUnfortunately we will not be moving forward.\n\nKind regards,\n"
            "Lee Grant\n\nThis email is confidential because it is meant for the "
            "addressee only and requires deletion if misdirected.\n\n"
            "Unsubscribe because you applied at Wrongco Ltd.\n")
    found = read(text)
    assert (found.reason, found.company) == (None, None)
    assert corpus_file("r29_legal_footer.txt").reason is not None  # the letter's own


def test_a_noreply_sender_is_not_a_person_but_names_the_company() -> None:
    text = ("From: Acme Talent Team <no-reply@greenhouse.io>\nSubject: An update\n\n"
            "Hi Sam,\n\nUnfortunately we will not be moving forward with your "
            "application.\n\nAcme Talent Team\n")
    found = read(text)
    assert (found.company, found.sender_name, found.sender_title) == ("Acme", None, None)
    workday = corpus_file("r35_german_ats.txt")  # "Talent Team Kranich Mobility"
    assert (workday.company, workday.sender_name) == ("Kranich Mobility", None)


def test_html_mail_is_read_without_style_or_script() -> None:
    found = corpus_file("e02_lever_html_only.eml")
    assert found.company == "Copperline"
    assert found.role == "Site Reliability Engineer"
    text = html_to_text("<style>p{color:red}</style><script>var x = 'Acme';</script>"
                        "<p>Hi&nbsp;Ada,</p><p>Not this time.<br>Best</p>")
    assert text == "Hi Ada,\n\nNot this time.\nBest"


def test_quoted_printable_mail_is_decoded() -> None:
    found = corpus_file("e04_german_qp.eml")
    assert (found.sender_name, found.company) == ("Jürgen Müller", "Hochwald Bau")
    assert found.reason is not None and "Tunnelbau" in found.reason


def test_a_raw_message_is_read_as_one_without_its_filename() -> None:
    text = (CORPUS / "e01_workday_plain.eml").read_text(encoding="utf-8")
    assert read(text) == corpus_file("e01_workday_plain.eml")
    assert read(text).date == "2026-11-17"


def test_german() -> None:
    found = read("Betreff: Ihre Bewerbung\n\nSehr geehrte Frau Roth,\n\nvielen Dank für "
                 "Ihre Bewerbung als Lagerleiterin und Ihr Interesse an Falkental Handel. "
                 "Leider haben wir uns für eine andere Bewerberin entschieden, da wir mehr "
                 "Erfahrung mit SAP benötigen.\n\nMit freundlichen Grüßen\nPeter Brand\n"
                 "Personalleiter\n")
    assert (found.company, found.role, found.sender_name, found.sender_title) == (
        "Falkental Handel", "Lagerleiterin", "Peter Brand", "Personalleiter")
    assert found.reason is not None and "SAP" in found.reason


def test_spanish() -> None:
    found = read("Hola Marta:\n\nGracias por la entrevista final y por tu interés en Casa "
                 "Oliva. Lamentablemente no vamos a continuar con tu candidatura para el "
                 "puesto de Jefa de Tienda.\n\nUn saludo,\nRaúl Soto\nGerente de Selección\n")
    assert (found.company, found.role, found.stage, found.sender_name) == (
        "Casa Oliva", "Jefa de Tienda", "final round", "Raúl Soto")


def test_french() -> None:
    found = read("Objet : Votre candidature chez Brise Marine\n\nBonjour Paul,\n\n"
                 "Merci pour votre candidature au poste de Technicien réseau. "
                 "Malheureusement, elle n'a pas été retenue.\n\nCordialement,\n"
                 "Claire Dubois\nChargée de recrutement\n")
    assert (found.company, found.role, found.sender_name, found.sender_title) == (
        "Brise Marine", "Technicien réseau", "Claire Dubois", "Chargée de recrutement")


def test_dates_come_from_the_email_never_from_today() -> None:
    assert corpus_file("r27_gmail_paste_headers.txt").date == "2026-11-27"  # Gmail header
    assert corpus_file("r38_dated_letter.txt").date == "2026-11-20"  # a dated letter
    assert corpus_file("r02_personal_after_final.txt").date is None
    assert corpus_file("r10_german_telefon.txt").date == "2026-11-26"  # "Do., 26. Nov."


def test_a_stage_only_where_the_email_says_it() -> None:
    assert corpus_file("r03_short_recruiter_note.txt").stage == "phone screen"
    assert corpus_file("r24_offer_stage.txt").stage == "offer stage"
    assert corpus_file("r26_plain_no_reason.txt").stage == "application"  # not invited
    assert corpus_file("r33_thank_you_for_meeting.txt").stage is None  # met, but when?
    assert corpus_file("r04_workday_req.txt").stage is None


def test_a_form_letter_phrase_is_not_a_reason() -> None:
    assert corpus_file("r01_greenhouse_form.txt").reason is None  # "more closely matches"
    reason = corpus_file("r22_hiring_freeze.txt").reason
    assert reason is not None and "hiring freeze" in reason


def test_extracted_is_frozen() -> None:
    found = read("Unfortunately not.")
    with pytest.raises(AttributeError):
        found.company = "Acme"  # type: ignore[misc]


def test_a_forwarded_email_is_read_from_its_forwarded_headers() -> None:
    found = corpus_file("h08_forwarded.txt")
    assert (found.company, found.sender_name, found.date) == (
        "Meridian Bank", "Keiko Tanaka", "2026-11-19")


def test_signature_forms_people_use() -> None:
    piped = corpus_file("h07_pipe_signature.txt")  # "Sara" over "Name | Title | Company"
    assert (piped.sender_name, piped.sender_title, piped.company) == (
        "Sara Lindholm", "Engineering Lead", "Tallis")
    assert corpus_file("h10_panel_initial.txt").sender_name == "J. Alvarez"
    assert corpus_file("h02_casual_note.txt").sender_name == "Mo Farah-Jensen"


def test_honorifics_and_team_sign_offs() -> None:
    found = read("Hello Ms. Kim,\n\nThank you for interviewing for the Nurse Educator role. "
                 "Regrettably, we have selected another candidate.\n\nRespectfully,\n"
                 "Dr. Alan Reese\nChief Nursing Officer\n")
    assert (found.sender_name, found.sender_title) == ("Alan Reese", "Chief Nursing Officer")
    found = read("Hi,\n\nUnfortunately we've decided not to move forward.\n\nThanks,\n"
                 "The People Team at Loop\n")
    assert (found.company, found.sender_name) == ("Loop", None)
