"""The `re` forms of patterns: exact where `re` reads a structurally safe pattern, a wider prefilter where
only `regex` can run it, nothing where removing a lookbehind could narrow the match or the shape is unsafe."""

from __future__ import annotations

import regex

from bot.detection.plainre import plain_form, without_lookbehinds


def test_a_safe_pattern_runs_exactly_under_re() -> None:
    form = plain_form(r"\bwe (?P<hit>despise) (?:them|those)\b", 0)
    assert form is not None and form.exact
    assert [m.span("hit") for m in form.compiled.finditer("we despise them, we despise those")] == [(3, 10),
                                                                                                   (20, 27)]


def test_a_variable_lookbehind_gets_a_wider_prefilter_that_never_misses() -> None:
    source = r"\b[a-z]{3,}(?<=(?:ists|ers))\s+are\s+awful\b"
    form = plain_form(source, 0)
    assert form is not None and not form.exact
    exact = regex.compile(source)
    for text in ("the painters are awful", "the cats are awful", "nothing here", "campers are awful lol"):
        if exact.search(text):
            assert form.compiled.search(text), text  # a wider prefilter: every true match is also its match
    assert form.compiled.search("the cats are awful") and not exact.search("the cats are awful")


def test_lookbehinds_are_removed_outside_classes_and_escapes_only() -> None:
    assert without_lookbehinds(r"a(?<=x(y)z)b") == "ab"
    assert without_lookbehinds(r"[(?<=]a\(?<!b") == r"[(?<=]a\(?<!b"
    assert without_lookbehinds(r"(?!no(?<=o))yes") is None  # inside a negative lookahead: would narrow


def test_an_unsafe_shape_is_never_given_to_re() -> None:
    assert plain_form(r"(?:a|aa)+b", 0) is None  # exponential backtracking: stays on regex, under its timeout
