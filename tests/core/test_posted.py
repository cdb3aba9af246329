"""The words a member sees in a file name, and how a message's parts are gathered into one text."""

from __future__ import annotations

import pytest

from bot.posted import file_name_words, gather


@pytest.mark.parametrize(("name", "words"), [
    ("you_are-useless.png", "you are useless"),
    ("SPOILER_the.plot.twist.mp4", "the plot twist"),
    ("notes", "notes"),
    ("archive.tar.gz", "archive tar"),
    ("report.final-version", "report final version"),  # not an extension: too long to be one
    ("  ", ""),
])
def test_file_names_read_as_words(name: str, words: str) -> None:
    assert file_name_words(name) == words


def test_gather_keeps_order_and_drops_empty_and_repeated_parts() -> None:
    assert gather(["look", None, "", "  ", "ridge", "look", "ridge at dawn"]) == "look\nridge\nridge at dawn"
    assert gather(["  spaced as typed "]) == "  spaced as typed "
    assert gather([]) == ""
