"""The judge's and the validators' cheap first tests: each only skips work whose answer it already knows, so a
scan with them gives what the full tests give."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.detection import judge
from bot.detection.judge import NOTHING, _split_context, _with_context, negated
from bot.detection.kinds.validator import _cue
from bot.detection.message import WORD, Raw
from bot.detection.model import RuleContext
from bot.detection.normalize import fold, normalize
from bot.detection.scanner import load_default_scanner
from bot.detection.validators import VALIDATORS
from bot.models import ScanContext

_WORDS = ["not", "no", "never", "cannot", "dont", "don't", "can't", "stand", "forget", "doubt", "only", "but",
          "so", "we", "hardly", "nothing", "note", "want", "into", "you", "are", "a", "rat", "cocktail", "cock",
          "tail", "scunthorpe", "x_y", "caf\u00e9", "'tis", "\u0661\u0662"]
_GLUE = [" ", "  ", ", ", ". ", "'", "\n", "-", ""]
_TEXTS = st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_GLUE)), max_size=14).map(
    lambda parts: "".join(word + glue for word, glue in parts))


def test_a_clean_message_gets_the_one_shared_empty_verdict() -> None:
    verdict = load_default_scanner().scan("see you at the pub quiz on thursday", ScanContext())
    assert verdict is NOTHING
    assert not verdict.matches and not verdict.suppressed and not verdict.shadow and not verdict.welfare


@settings(max_examples=400, deadline=None)
@given(_TEXTS, st.data())
def test_the_negator_cue_never_changes_what_negation_decides(text: str, data: st.DataObject) -> None:
    """With the cue made to pass always, `negated` reads every word: it must give the same answer."""
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    quick = negated(text, start, end)
    always = re.compile("")
    original, judge._NEGATOR_CUE = judge._NEGATOR_CUE, always
    try:
        full = negated(text, start, end)
    finally:
        judge._NEGATOR_CUE = original
    assert quick == full


@settings(max_examples=300, deadline=None)
@given(st.frozensets(st.sampled_from(["rat", "you", "a rat", "are a", "note", "b.", "d.o.b"]), max_size=5),
       st.frozensets(st.sampled_from(["joke", "not", "only joking", "no"]), max_size=3), st.booleans(), _TEXTS)
def test_context_words_count_as_they_did_one_by_one(raised: frozenset[str], lowered: frozenset[str],
                                                    require: bool, text: str) -> None:
    """Single words are looked up among the window's words and phrases in its text, split once per rule."""
    rule = next(iter(load_default_scanner().rule_set.rules))
    ctx = RuleContext(window=30, raise_words=raised, lower_words=lowered, require=require)
    raw = Raw(replace(rule, context=ctx), 0, 0, 0, min(len(text), 3), 0.7)
    window = normalize(text[: min(len(text), raw.orig_end + 30)]).text
    near = set(WORD.findall(window))
    up = sum(1 for w in raised if (w in near if " " not in w else w in window))
    down = sum(1 for w in lowered if (w in near if " " not in w else w in window))
    confidence, why_not, lowers = _with_context(raw, text, {})
    if not (raised or lowered):
        assert (confidence, why_not, lowers) == (0.7, None, False)
    elif require and not up:
        assert why_not == "needs a context word nearby"
    else:
        assert why_not is None and lowers == (down > 0)
        assert confidence == max(0.0, min(1.0, 0.7 + 0.1 * up - 0.3 * down))
    assert _split_context(ctx) == _split_context(RuleContext(30, raised, lowered, require))  # equal rules share


@pytest.mark.parametrize("text", ["ring 07700 900123", "\u0660\u0667\u0667", "mail me at sam@example.org",
                                  "no digits here", "", "fullwidth \uff10\uff17"])
def test_the_validator_cue_is_a_digit_or_a_needed_character(text: str) -> None:
    chars = frozenset(v.needs_char for v in VALIDATORS.values() if v.min_digits == 0) - {""}
    expected = bool(re.search(r"\d", text)) or any(char in text for char in chars)
    assert (_cue(chars).search(text) is not None) == expected
    assert (_cue(frozenset({"ab", "@"})).search(text) is not None) == (bool(re.search(r"\d", text))
                                                                       or "@" in text or "ab" in text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_TEXTS, st.text(alphabet="abcHATE 4$1!.-\u0430\u200b\u00e9'", max_size=40)))
def test_folding_a_window_gives_what_normalize_gives(text: str) -> None:
    assert fold(text) == normalize(text).text
