"""Personal-data validators on their own: invented examples of every kind in several formats, and the
everyday numbers in student chat that must never be taken for personal data. Each asserts the exact span."""

from __future__ import annotations

import re

import pytest

from bot.detection.validators import VALIDATORS


def found(kind: str, text: str, options: dict | None = None) -> list[str]:
    validator = VALIDATORS[kind]
    if not validator.prefilter(text):
        return []
    return [text[c.start:c.end] for c in validator.find(text, options or {})]


POSITIVES = [
        ("phone", "text her on 07700 900123 tonight", "07700 900123"),
        ("phone", "his mobile: +44 7700 900456", "+44 7700 900456"),
        ("phone", "office (0116) 252 2522 ext 4", "(0116) 252 2522 ext 4"),
        ("phone", "call 0116-252-2522", "0116-252-2522"),
        ("phone", "ring 01162522522 now", "01162522522"),
        ("phone", "from abroad 0044 116 252 2522", "0044 116 252 2522"),
        ("phone", "US friend +1 415 555 2671", "+1 415 555 2671"),
        ("phone", "Paris +33 1 42 68 53 00", "+33 1 42 68 53 00"),
        ("phone", "dots 07700.900.789 work too", "07700.900.789"),
        ("email", "write to jo.bloggs+soc@example.co.uk please", "jo.bloggs+soc@example.co.uk"),
        ("email", "FIRST.LAST@Example.ORG", "FIRST.LAST@Example.ORG"),
        ("postcode", "she lives in LE1 7RH now", "LE1 7RH"),
        ("postcode", "SW1A 1AA", "SW1A 1AA"),
        ("postcode", "postcode le2 1xy", "le2 1xy"),
        ("postcode", "EC1A1BB no space", "EC1A1BB"),
        ("street_address", "he lives at 14 Victoria Road", "14 Victoria Road"),
        ("street_address", "Flat 2, 33 Upper New Walk, LE1 7QA", "Flat 2, 33 Upper New Walk, LE1 7QA"),
        ("ni_number", "NI: JG 10 37 56 A", "JG 10 37 56 A"),
        ("ni_number", "nino AB123456C", "AB123456C"),
        ("sort_code_account", "sort code 20-00-00 account 31926819", "20-00-00 account 31926819"),
        ("sort_code_account", "40 47 84 and 70872490", "40 47 84 and 70872490"),
        ("payment_card", "card 4111 1111 1111 1111 exp 04/27", "4111 1111 1111 1111"),
        ("payment_card", "mc 5555-5555-5555-4444", "5555-5555-5555-4444"),
        ("payment_card", "amex 378282246310005", "378282246310005"),
        ("iban", "pay GB82 WEST 1234 5698 7654 32 by friday", "GB82 WEST 1234 5698 7654 32"),
        ("iban", "DE89370400440532013000", "DE89370400440532013000"),
        ("student_number", "student number 239012345", "239012345"),
        ("date_of_birth", "born 12/03/2004", "12/03/2004"),
        ("date_of_birth", "DOB 3rd of March 2004", "3rd of March 2004"),
        ("date_of_birth", "birthday March 12th, 2004", "March 12th, 2004"),
        ("date_of_birth", "b. 12.03.04", "12.03.04"),
        ("date_of_birth", "dob 2004-03-12 on the form", "2004-03-12"),
        ("date_of_birth", "born on the 9th of june '03", "the 9th of june '03"),
        ("date_of_birth", "dob: 12 / 03 / 2004", "12 / 03 / 2004"),
        ("date_of_birth", "bday is may 3 2003", "may 3 2003"),
        ("street_address", "she's at 41b larkspur street now", "41b larkspur street"),
        ("street_address", "flat 3, 22 hazel road, LE1 6QP", "flat 3, 22 hazel road, LE1 6QP"),
        ("street_address", "send it to 88 high street", "88 high street"),
        ("street_address", "room 14, Bramley House", "room 14, Bramley House"),
        ("street_address", "12 Willow Walk, Leicester, LE2 7AB", "12 Willow Walk, Leicester, LE2 7AB"),
        ("street_address", "1600 Amsterdam Ave, New York", "1600 Amsterdam Ave"),
        ("street_address", "sie wohnt in der Bergstraße 14", "Bergstraße 14"),
        ("street_address", "mon adresse: 12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
        ("street_address", "vive en Calle Mayor 5", "Calle Mayor 5"),
        ("payment_card", "maestro 501800000009", "501800000009"),
        ("payment_card", "diners 3056 930902 5904", "3056 930902 5904"),
        ("payment_card", "card 6799 9901 0000 0000 019", "6799 9901 0000 0000 019"),
        ("passport_number", "passport 533401372", "533401372"),
        ("passport_number", "her passport no is GB1234567", "GB1234567"),
        ("driving_licence", "licence MORGA753116SM9IJ", "MORGA753116SM9IJ"),
        ("nhs_number", "nhs no 943 476 5919", "943 476 5919"),
]


@pytest.mark.parametrize(("kind", "text", "expected"), POSITIVES)
def test_each_kind_is_found_with_its_exact_span(kind: str, text: str, expected: str) -> None:
    assert found(kind, text) == [expected]


HARD_NEGATIVES = [
    "meet at 14:30 in room 1.05",
    "training is at 7pm, then 2.30pm on Sunday",
    "tickets are £12.50 or £1,200 for the whole table",
    "the 2023-24 committee and the 2024 AGM",
    "room G.23 and room 0.12",
    "order #48213 and ticket 99812 arrived",
    "version 3.11.7 and v2.3.11",
    "ISBN 978-0-14-310123-7 is the set text",
    "https://example.com/events/2025/04/123456",
    "we won 3-2 and then 10-4",
    "we raised 85% of the target, 1,240 people came",
    "module CO1104 and MA2032",
    "call 999 in an emergency",
    "the card reader took 4111 1111 1111 1112",  # fails the Luhn check
    "GB82 WEST 1234 5698 7654 33",  # wrong IBAN check digits
    "a 10 minute walk, then 5 people in a row",
    "we came 2 places higher and did 3 laps of the green",
    "the hotel has a 5 star view",
    "nhs 111, then ref 1234567890",  # fails the NHS check digit
    "booking ref XJ4K9Q and door 3B",
    "build 4.2.1-rc3 on port 8080",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_everyday_numbers_are_not_personal_data(text: str) -> None:
    hits = {kind: found(kind, text) for kind in VALIDATORS
            if kind not in ("student_number", "date_of_birth", "passport_number")}  # these need a context word
    assert {kind: spans for kind, spans in hits.items() if spans} == {}


def test_student_number_pattern_is_a_setting() -> None:
    assert found("student_number", "my number is ab1234", {"pattern": r"\b[a-z]{2}\d{4}\b"}) == ["ab1234"]
    assert found("student_number", "my number is 239012345", {"pattern": r"\b[a-z]{2}\d{4}\b"}) == []


def test_prefilters_reject_text_without_the_raw_material() -> None:
    plain = "see you all at the social tonight"
    assert [kind for kind, v in VALIDATORS.items() if v.prefilter(plain)] == []


@pytest.mark.parametrize(("kind", "text", "expected"), POSITIVES)
def test_the_scanners_cheap_gates_never_reject_a_real_candidate(kind: str, text: str, expected: str) -> None:
    """The scanner skips a validator when the message has fewer digits than `min_digits` or misses `hint`:
    both must hold for every real example, or the speed-up would hide personal data."""
    validator = VALIDATORS[kind]
    assert len(re.findall(r"\d", text)) >= getattr(validator, "min_digits", 0)
    hint = getattr(validator, "hint", None)
    if hint is not None:
        assert re.search(hint, text), (kind, hint)
    if getattr(validator, "needs_char", ""):
        assert validator.needs_char in text
