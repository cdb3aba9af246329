"""More validators for personal data (clause 5.5.5): street addresses as people type them (UK and abroad, any
case, flats and named buildings), passport, UK driving licence and NHS numbers.

They follow `bot.detection.validators.Validator` and are registered into its `VALIDATORS`. Numbers that prove
little alone (a passport or NHS number is nine or ten digits) are only confirmed here; their rules require a
context word ("passport", "nhs") nearby.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import ahocorasick

from bot.detection.candidates import POSTCODE as _POSTCODE
from bot.detection.candidates import Candidate, longest_digit_run

_DIGIT = re.compile(r"\d")

# Street types that name a street in any case ("41b larkspur street"); the weaker ones ("view", "walk", "green",
# "row", "hill") are everyday words too, so in lower case they count only with a postcode or a flat number.
_STRONG_TYPES = ("road|rd|street|st|avenue|ave|lane|ln|crescent|cres|terrace|gardens|gdns|mews|grove|close|drive|"
                 "wharf|promenade|quay|boulevard|blvd|embankment|parade")
_WEAK_TYPES = "way|place|pl|court|ct|square|sq|hill|walk|row|rise|view|green|vale|park|circus|broadway"
_BUILDINGS = "house|court|hall|halls|lodge|tower|towers|building|mansions|apartments|point|heights|villas|cottages"
# Words that sit between a number and a street-type word in sentences that are not addresses.
_NOT_STREET_WORDS = frozenset({
    "the", "a", "an", "of", "to", "for", "and", "or", "in", "on", "at", "by", "my", "your", "our", "their", "his",
    "her", "its", "this", "that", "more", "less", "other", "minute", "minutes", "min", "mins", "hour", "hours",
    "second", "seconds", "mile", "miles", "km", "metres", "meters", "yards", "people", "person", "times", "days",
    "day", "weeks", "week", "months", "years", "year", "star", "stars", "points", "goals", "laps", "games",
    "rounds", "pints", "quid", "pounds", "pence", "floors", "floor", "steps", "stops", "is", "are", "was", "we",
    "you", "i", "it", "us", "them", "with", "from", "up", "down", "out", "off", "over", "into", "back", "per",
    "each", "all", "some", "any", "no", "not", "just", "only", "about", "around", "than", "then", "so", "very",
})
_WORD = r"[A-Za-z][A-Za-z'\-]+"
_UNIT = r"(?:(?:flat|apartment|apt|room|unit|studio)\s+\d{1,4}[a-z]?\s*,?\s+)"
_ADDRESS = re.compile(
    rf"(?<![\w.,:£$/-])(?P<unit>{_UNIT})?(?P<number>\d{{1,4}}[a-z]?),?\s+(?P<words>(?:{_WORD}\s+){{1,3}}?)"
    rf"(?P<type>{_STRONG_TYPES}|{_WEAK_TYPES})\b\.?"
    rf"(?P<tail>(?:,?\s+(?:[A-Z][a-z]+\s*){{1,2}})?,?\s+(?P<postcode>{_POSTCODE}))?",
    re.IGNORECASE,
)
_BUILDING = re.compile(
    rf"(?<![\w.,:£$/-])(?:flat|apartment|apt|room|unit|studio)\s+\d{{1,4}}[a-z]?\s*,?\s+(?:{_WORD}\s+){{1,3}}?"
    rf"(?:{_BUILDINGS})\b(?:,?\s+{_POSTCODE})?",
    re.IGNORECASE,
)
# Addresses written the continental way: the street, then the number ("Hauptstraße 12", "Calle Mayor 5").
_CONTINENTAL = re.compile(
    r"(?<![\w])(?:[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|laan|straat|gracht|vej|"
    r"gatan|gata|veien)|(?:Calle|Avenida|Paseo|Plaza|Via|Viale|Piazza|Corso|Rua|Travessa|Avenue|Rue)\s+"
    r"(?:(?:de|del|la|las|los|da|do|dos|di|della|du|des)\s+)?[A-ZÀ-Ý][\wÀ-ÿ'\-]+)\s*,?\s+\d{1,4}[a-z]?\b"
    r"(?:,?\s+\d{4,5}\s+[A-ZÀ-Ý][\wÀ-ÿ\-]+)?"
)
_FRENCH = re.compile(
    r"(?<![\w.,:£$/-])\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|quai|cours)\s+"
    r"(?:(?:de\s+la|de\s+l'|du|des|de|d')\s*)?[A-Za-zÀ-ÿ'\-]+(?:\s+[A-Z][\wÀ-ÿ'\-]+){0,2}"
    r"(?:,?\s+\d{5}\s+[A-ZÀ-Ý][\wÀ-ÿ\-]+)?",
    re.IGNORECASE,
)
# The prefilter: substring tests for the longer street words (a few hundred nanoseconds), and one small regex for
# the short abbreviations only when none is found.
_STREET_WORDS = tuple(w for w in f"{_STRONG_TYPES}|{_WEAK_TYPES}|{_BUILDINGS}|calle|avenida|piazza|paseo|plaza|viale|"
                      "corso|travessa|chemin|impasse|quai|cours|straße|strasse|str.|weg|gasse|platz|allee|damm|laan|"
                      "straat|gracht|vej|gatan|gata|veien".split("|") if len(w) >= 3)
_SHORT_STREET = re.compile(r"\b(?:st|rd|ln|dr|pl|ct|sq|bd|av|rua|rue|via)\b", re.IGNORECASE)
_SHORT_STREET_WORDS = frozenset({"st", "rd", "ln", "dr", "pl", "ct", "sq", "bd", "av", "rua", "rue", "via"})
_WORD_RUN = re.compile(r"\w+")


def _automaton(words: tuple[str, ...]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


# The substring tests as one Aho-Corasick pass: most messages with digits (times, prices, rooms) hold no street
# word, and one pass costs a tenth of 70 `in` tests or a regex alternation.
_STREET_AUTOMATON = _automaton(_STREET_WORDS)


class AddressValidator:
    """A street address: house number, street and type, with a flat, building or postcode if given; UK and abroad."""

    name = "street_address"
    needs_char = ""
    min_digits = 1
    hint = r"\d"

    def prefilter(self, text: str) -> bool:
        """A digit and a street, building or foreign street word."""
        if _DIGIT.search(text) is None:
            return False
        lower = text.lower()
        for _ in _STREET_AUTOMATON.iter(lower):
            return True
        if text.isascii():  # ASCII case-folds one to one: the same test as _SHORT_STREET, on whole words
            return not _SHORT_STREET_WORDS.isdisjoint(_WORD_RUN.findall(lower))
        return _SHORT_STREET.search(text) is not None

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Addresses; a postcode, a flat or a capitalised street name makes them more certain."""
        found: list[Candidate] = []
        for match in _ADDRESS.finditer(text):
            words = match.group("words").split()
            if any(w.lower() in _NOT_STREET_WORDS for w in words):
                continue
            capitalised = all(w[0].isupper() for w in words) and match.group("type")[0].isupper()
            strong = re.fullmatch(_STRONG_TYPES, match.group("type"), re.IGNORECASE) is not None
            if not (capitalised or strong or match.group("postcode") or match.group("unit")):
                continue  # "a 5 star view", "2 fields green": everyday words, not a street
            confidence = 0.9 if match.group("postcode") else (0.8 if capitalised or match.group("unit") else 0.75)
            found.append(Candidate(match.start(), match.end(), "street address", confidence))
        taken = [(c.start, c.end) for c in found]
        for pattern in (_BUILDING, _CONTINENTAL, _FRENCH):
            for match in pattern.finditer(text):
                if any(start < match.end() and match.start() < end for start, end in taken):
                    continue
                found.append(Candidate(match.start(), match.end(), "street address", 0.8))
                taken.append((match.start(), match.end()))
        return sorted(found, key=lambda c: c.start)


class PassportValidator:
    """Passport numbers (UK: nine digits; elsewhere one or two letters and six to eight digits); needs context."""

    name = "passport_number"
    needs_char = ""
    min_digits = 6
    hint = r"\d{6}"
    _pattern = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{1,2}\d{6,8}|\d{9})(?![A-Za-z0-9])")

    def prefilter(self, text: str) -> bool:
        """Six digits in a row."""
        return longest_digit_run(text) >= 6

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Numbers in a passport's shape."""
        return [Candidate(m.start(), m.end(), "passport number", 0.8) for m in self._pattern.finditer(text)]


class DrivingLicenceValidator:
    """UK driving licence numbers: surname, birth date code, initials and check characters (16 characters)."""

    name = "driving_licence"
    needs_char = ""
    min_digits = 6
    hint = r"\d{6}"
    _pattern = re.compile(r"(?<![A-Za-z0-9])([A-Z9]{5})(\d)([0156]\d)([0-3]\d)(\d)([A-Z9]{2})(\d)([A-Z]{2})"
                          r"(?:\s?\d{2})?(?![A-Za-z0-9])", re.IGNORECASE)

    def prefilter(self, text: str) -> bool:
        """Six digits in a row."""
        return longest_digit_run(text) >= 6

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Numbers whose birth month (plus 50 for women) and day are in range."""
        found = []
        for match in self._pattern.finditer(text):
            month = int(match.group(3)) % 50
            if 1 <= month <= 12 and 1 <= int(match.group(4)) <= 31:
                found.append(Candidate(match.start(), match.end(), "driving licence number", 0.85))
        return found


class NhsNumberValidator:
    """NHS numbers: ten digits (often 3-3-4) with a valid modulus-11 check digit (python-stdnum); needs context."""

    name = "nhs_number"
    needs_char = ""
    min_digits = 10
    hint = r"\d{3}"
    _pattern = re.compile(r"(?<![\d-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d-])")

    def prefilter(self, text: str) -> bool:
        """Ten digits close together."""
        return longest_digit_run(text) >= 10

    def find(self, text: str, options: Mapping[str, Any]) -> list[Candidate]:
        """Numbers that pass the NHS check digit."""
        from stdnum.gb import nhs as stdnum_nhs  # imported where used, as in bot.detection.validators

        return [Candidate(m.start(), m.end(), "NHS number", 0.85) for m in self._pattern.finditer(text)
                if stdnum_nhs.is_valid(m.group())]


ADDED_VALIDATORS = (AddressValidator(), PassportValidator(), DrivingLicenceValidator(), NhsNumberValidator())
"""Registered into `bot.detection.validators.VALIDATORS` (the address validator replaces the capitalised-only one)."""
