"""What every personal-data validator shares: the candidate it returns, the postcode format and a digit counter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_DIGIT = re.compile(r"\d")
# Runs of digits with the separators people put inside numbers ("07700 900123", "4111-1111", "(0116) 252").
_DIGIT_RUN = re.compile(r"\d(?:[\s\-().\u00a0/]{0,3}\d)*")
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A confirmed span of the original text, what it is and how sure the validator is."""

    start: int
    end: int
    label: str
    confidence: float


@lru_cache(maxsize=16)
def longest_digit_run(text: str) -> int:
    """How many digits the longest number-like run in `text` holds (0 without digits); shared by prefilters."""
    if _DIGIT.search(text) is None:
        return 0
    return max(len(_NOT_DIGIT.sub("", run)) for run in _DIGIT_RUN.findall(text))


POSTCODE = (r"(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
            r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2})")
"""A full UK postcode (outward and inward code) in Royal Mail's format, as a regex fragment."""
