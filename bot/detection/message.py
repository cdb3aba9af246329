"""One message as the rule kinds read it: its folded and re-spelled text, its words, and the candidates found."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.detection.model import Rule
from bot.detection.normalize import Normalized

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def tokens(text: str) -> list[str]:
    """The words of folded text, as `WORD` finds them (one regex pass beats splitting and stripping)."""
    return WORD.findall(text)


class Layer:
    """The re-spelled text and the way back to positions in the folded text."""

    __slots__ = ("ends", "starts", "text", "weak")

    def __init__(self, text: str, starts: list[int] | None = None, ends: list[int] | None = None,
                 weak: tuple[tuple[int, int, str], ...] = ()) -> None:
        self.text = text
        self.starts = starts
        self.ends = ends
        # Spans of `text` re-spelled on weaker evidence (a typo corrected, words split), and which it was.
        self.weak = weak

    def to_folded(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the re-spelled text to the span of the folded text it came from."""
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            return self.starts[start], self.starts[start]
        return self.starts[start], self.ends[end - 1]


@dataclass(slots=True)
class Raw:
    """A candidate match before judging: its rule, where it is, and how sure the finder is."""

    rule: Rule
    start: int  # in the re-spelled layer, when `in_layer`
    end: int
    orig_start: int
    orig_end: int
    confidence: float
    in_layer: bool = True  # False for candidates found on the original text (validators)


class Message:
    """A message being scanned. `norm` and `layer` are set before any kind that reads words is asked."""

    __slots__ = ("_joined", "layer", "norm", "text", "tokens", "words")

    def __init__(self, text: str, words: list[str], norm: Normalized | None = None,
                 layer: Layer | None = None) -> None:
        self.text = text
        self.words = words
        self.tokens = set(words)
        self.norm = norm
        self.layer = layer
        self._joined: str | None = None

    @property
    def joined(self) -> str:
        """The message's words joined by single spaces and padded, built only when a phrase needs checking."""
        if self._joined is None:
            self._joined = f" {' '.join(self.words)} "
        return self._joined

    def raw(self, rule: Rule, start: int, end: int, confidence: float,
            reported: tuple[int, int] | None = None) -> Raw:
        """A candidate at [start, end) of the re-spelled layer, with its span in the original text: that of
        `reported` (the offending words within the match, also in the layer) when given."""
        assert self.layer is not None and self.norm is not None
        folded_start, folded_end = self.layer.to_folded(*(reported or (start, end)))
        orig_start, orig_end = self.norm.to_original(folded_start, folded_end)
        return Raw(rule, start, end, orig_start, orig_end, confidence)
