"""Named validators for personal data (clause 5.5.5): each finds candidate spans cheaply and confirms them
with a library (phonenumbers, python-stdnum) or a precise format, in the manner of Presidio's recognizers.

Validators read the ORIGINAL message text and return spans in it. `prefilter` is a cheap test that most
messages fail, so `find` runs on few of them. Context words ("born", "student number") are the rule's business
and are checked by the scanner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from bot.detection.candidates import POSTCODE as _POSTCODE
from bot.detection.candidates import Candidate, longest_digit_run
from bot.detection.personal_data import ADDED_VALIDATORS
from bot.detection.registry import Registry

_DIGIT = re.compile(r"\d")
# Runs of digits with the separators people put inside numbers ("07700 900123", "4111-1111", "(0116) 252").
_DIGIT_RUN = re.compile(r"\d(?:[\s\-().\u00a0/]{0,3}\d)*")
_LETTER_DIGIT = re.compile(r"[A-Za-z]\d")
_NOT_DIGIT = re.compile(r"\D")
_NUMBER_STARTING_0 = re.compile(r"(?<!\d)0")
# Hints (see Validator): six or seven digits close together, as _DIGIT_RUN counts them.
_RUN_OF_6 = r"\d(?:[\s\-().\u00a0/]{0,3}\d){5}"
_RUN_OF_7 = r"\d(?:[\s\-().\u00a0/]{0,3}\d){6}"


class Validator(Protocol):
    """A recognizer of one kind of personal data, and what a message must hold before it is asked.

    The scanner reads the needs once, when it compiles the rules: `min_digits`, the fewest digits close together
    a candidate has (the scanner counts a message's digits once and skips validators needing more); `needs_char`,
    a character every candidate holds ("@" for email; "" for none), so a message without it and without digits
    never reaches `prefilter`; and `hint`, a simple regex that matches somewhere in every text holding a
    candidate (None for none), searched once per message before `prefilter` is called (most messages with
    digits, such as times, prices and rooms, fail them all).
    """

    # Read-only in the protocol, so a validator may narrow them (a `hint: str` class attribute, say).
    @property
    def name(self) -> str: ...

    @property
    def min_digits(self) -> int: ...

    @property
    def needs_char(self) -> str: ...

    @property
    def hint(self) -> str | None: ...

    def prefilter(self, text: str) -> bool:
        """Cheap: can this text hold a candidate at all?"""
        ...

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Every confirmed candidate in `text`."""
        ...


class PhoneValidator:
    """Phone numbers in UK and international formats, parsed by Google's libphonenumber port."""

    name = "phone"
    min_digits = 7
    needs_char = ""
    hint = _RUN_OF_7

    def prefilter(self, text: str) -> bool:
        """Seven digits close together (not an ISBN-13), and a + or a number starting with 0 somewhere.

        `find` keeps only numbers written with a leading + or 0, so a message with neither cannot hold one.
        """
        if longest_digit_run(text) < 7 or ("+" not in text and _NUMBER_STARTING_0.search(text) is None):
            return False
        for run in _DIGIT_RUN.finditer(text):
            digits = _NOT_DIGIT.sub("", run.group())
            if len(digits) < 7:
                continue
            if (len(digits) == 13 and digits.startswith(("978", "979"))
                    and "+" not in text[max(0, run.start() - 2): run.start()]):
                continue  # an ISBN-13 ("978-0-14-..."), never a phone number without a +
            return True
        return False

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Numbers libphonenumber calls valid, or possible and written like a phone number."""
        # The checking libraries are imported where they are used: most messages reach no validator, and
        # importing phonenumbers and stdnum would cost every `nudgebot scan` a large part of its start.
        import phonenumbers
        from phonenumbers import Leniency, PhoneNumberMatcher

        region = str(options.get("region", "GB"))
        found: list[Candidate] = []
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE):
            raw = match.raw_string
            digits = re.sub(r"\D", "", raw)
            if not raw.lstrip("(").startswith(("+", "0")):
                continue  # people write phone numbers with a leading 0 or +; bare digit runs are other numbers
            if phonenumbers.is_valid_number(match.number):
                found.append(Candidate(match.start, match.end, "phone number", 0.95))
            elif (len(digits) >= 10
                  and phonenumbers.is_possible_number(match.number)):
                # Written like a number (a leading 0 or +) even if its range is unassigned, e.g. 07700 900xxx.
                found.append(Candidate(match.start, match.end, "phone number", 0.85))
        return found


class EmailValidator:
    """Email addresses."""

    name = "email"
    min_digits = 0
    hint = "@"
    needs_char = "@"
    _pattern = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                          r"[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")

    def prefilter(self, text: str) -> bool:
        """An @ sign."""
        return "@" in text

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Addresses with a local part, a domain and a top-level domain."""
        return [Candidate(m.start(), m.end(), "email address", 0.95) for m in self._pattern.finditer(text)]


class PostcodeValidator:
    """Full UK postcodes (outward and inward code), e.g. LE1 7RH."""

    name = "postcode"
    min_digits = 1
    needs_char = ""
    hint = r"[A-Za-z]\d"
    _pattern = re.compile(rf"(?<![A-Za-z0-9]){_POSTCODE}(?![A-Za-z0-9])", re.IGNORECASE)

    def prefilter(self, text: str) -> bool:
        """A letter followed by a digit, as every outward code has."""
        return _LETTER_DIGIT.search(text) is not None

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Postcodes in the Royal Mail format; lowercase ones are less certain."""
        return [Candidate(m.start(), m.end(), "postcode", 0.9 if m.group().isupper() else 0.7)
                for m in self._pattern.finditer(text)]


class NationalInsuranceValidator:
    """UK National Insurance numbers (HMRC's letter rules: no D, F, I, Q, U, V; no BG, GB, NK, KN, TN, NT, ZZ)."""

    name = "ni_number"
    min_digits = 6
    needs_char = ""
    hint = _RUN_OF_6
    _pattern = re.compile(r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?(\d{2})\s?(\d{2})\s?(\d{2})\s?"
                          r"([A-D])(?![A-Za-z0-9])", re.IGNORECASE)
    _invalid_prefixes = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})

    def prefilter(self, text: str) -> bool:
        """Six digits close together."""
        return longest_digit_run(text) >= 6

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Numbers in the NI format with an allowed prefix."""
        return [Candidate(m.start(), m.end(), "National Insurance number", 0.9)
                for m in self._pattern.finditer(text) if m.group(1).upper() not in self._invalid_prefixes]


class SortCodeAccountValidator:
    """A bank sort code (12-34-56) with an eight-digit account number near it."""

    name = "sort_code_account"
    min_digits = 8
    needs_char = ""
    hint = _RUN_OF_6
    _sort_code = re.compile(r"(?<![\d-])\d{2}[-\s]\d{2}[-\s]\d{2}(?![\d-])")
    _account = re.compile(r"(?<!\d)\d{8}(?!\d)")

    def prefilter(self, text: str) -> bool:
        """Eight digits in a row."""
        return longest_digit_run(text) >= 8 and self._account.search(text) is not None

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """The sort code and account number together, as one span."""
        found = []
        for code in self._sort_code.finditer(text):
            window_start, window_end = max(0, code.start() - 60), min(len(text), code.end() + 60)
            for account in self._account.finditer(text, window_start, window_end):
                start, end = min(code.start(), account.start()), max(code.end(), account.end())
                found.append(Candidate(start, end, "bank sort code and account number", 0.9))
                break
        return found


class PaymentCardValidator:
    """Payment card numbers: 12 to 19 digits (Maestro 12-19, Diners 14, Amex 15, Visa and Mastercard 16, UnionPay
    up to 19) with a known issuer prefix and a valid Luhn check digit."""

    name = "payment_card"
    min_digits = 12
    needs_char = ""
    hint = _RUN_OF_6
    _pattern = re.compile(r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])")
    _issuer = re.compile(r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|6(?:011|5|4[4-9])|3(?:0[0-5]|[689])"
                         r"|35|5[06-9]|6\d)")
    _maestro = re.compile(r"^(?:5[06-9]|6\d)")

    def prefilter(self, text: str) -> bool:
        """Twelve digits close together."""
        return longest_digit_run(text) >= 12

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Card numbers that pass the Luhn check (python-stdnum)."""
        from stdnum import luhn

        found = []
        for match in self._pattern.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if self._issuer.match(digits) and luhn.is_valid(digits) and len(set(digits)) > 1:
                # Only Maestro issues 12-digit cards, and one number in ten passes Luhn: a card word must vouch.
                short = len(digits) == 12
                if short and not self._maestro.match(digits):
                    continue
                found.append(Candidate(match.start(), match.end(), "payment card number", 0.45 if short else 0.95))
        return found


class IbanValidator:
    """International bank account numbers, checked with python-stdnum."""

    name = "iban"
    min_digits = 2
    needs_char = ""
    hint = r"[A-Z]{2}\d{2}"
    _pattern = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}(?![A-Za-z0-9])")

    _hint = re.compile(r"[A-Z]{2}\d{2}")

    def prefilter(self, text: str) -> bool:
        """Two capital letters then two digits."""
        return longest_digit_run(text) >= 2 and self._hint.search(text) is not None

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """IBANs whose check digits are right."""
        from stdnum import iban as stdnum_iban

        found = []
        for match in self._pattern.finditer(text):
            candidate = match.group().rstrip()
            if stdnum_iban.is_valid(candidate):
                found.append(Candidate(match.start(), match.start() + len(candidate), "IBAN", 0.95))
        return found


class StudentNumberValidator:
    """Student numbers; the pattern is a setting (NUDGEBOT_STUDENT_NUMBER_PATTERN), by default nine digits.

    A bare number proves little, so the rule pack requires a context word such as "student number".
    """

    name = "student_number"
    min_digits = 1  # the pattern is a setting: assume no more
    needs_char = ""
    hint = None
    default_pattern = r"(?<![\d-])\d{9}(?![\d-])"
    _compiled: ClassVar[dict[str, re.Pattern[str]]] = {}

    def prefilter(self, text: str) -> bool:
        """A digit."""
        return _DIGIT.search(text) is not None

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Numbers matching the configured pattern."""
        source = str(options.get("pattern") or self.default_pattern)
        pattern = self._compiled.get(source)
        if pattern is None:
            pattern = self._compiled[source] = re.compile(source)
        return [Candidate(m.start(), m.end(), "student number", 0.8) for m in pattern.finditer(text)
                if m.end() > m.start()]


_MONTHS = ("Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
           "|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?")


class DateOfBirthValidator:
    """Full dates with a year in the common forms (12/03/2004, 12.3.04, 2004-03-12, 12 March 2004, the 3rd of May
    '04, March 12th 2004); the pack requires birth context."""

    name = "date_of_birth"
    min_digits = 3  # every accepted form has a day and a two- or four-digit year ("9 june '03")
    needs_char = ""
    hint = r"\d"
    _pattern = re.compile(
        rf"(?<![\d/.-])(?:[0-3]?\d\s?[/.-]\s?[01]?\d\s?[/.-]\s?(?:19|20)?\d\d"
        rf"|(?:19|20)\d\d[/.-][01]?\d[/.-][0-3]?\d"
        rf"|(?:the\s+)?[0-3]?\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+(?:(?:19|20)\d\d|'\d\d)"
        rf"|(?:{_MONTHS})\.?\s+(?:the\s+)?[0-3]?\d(?:st|nd|rd|th)?,?\s+(?:(?:19|20)\d\d|'\d\d))(?![\d/.-])",
        re.IGNORECASE,
    )
    _iso = re.compile(r"(?:19|20)\d\d[/.-]([01]?\d)[/.-]([0-3]?\d)")

    def prefilter(self, text: str) -> bool:
        """A digit."""
        return _DIGIT.search(text) is not None

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Dates whose day and month are in range."""
        found = []
        for match in self._pattern.finditer(text):
            numeric = re.fullmatch(r"([0-3]?\d)\s?[/.-]\s?([01]?\d)\s?[/.-]\s?\d+", match.group())
            if numeric and not (1 <= int(numeric.group(1)) <= 31 and 1 <= int(numeric.group(2)) <= 12):
                continue
            iso = self._iso.fullmatch(match.group())
            if iso and not (1 <= int(iso.group(1)) <= 12 and 1 <= int(iso.group(2)) <= 31):
                continue
            found.append(Candidate(match.start(), match.end(), "date of birth", 0.85))
        return found




VALIDATORS: Registry[Validator] = Registry("validator", (
    PhoneValidator(), EmailValidator(), PostcodeValidator(), NationalInsuranceValidator(),
    SortCodeAccountValidator(), PaymentCardValidator(), IbanValidator(), StudentNumberValidator(),
    DateOfBirthValidator(), *ADDED_VALIDATORS,  # addresses, passports, licences, NHS: bot.detection.personal_data
))
"""Every validator by name. A new one is a class above (or in its own module) and one more entry here, or
`VALIDATORS.register(MyValidator())` from its module: a name already taken is refused."""
