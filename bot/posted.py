"""Everything a member posts, gathered into the one text the moderator reads: both adapters build a message's
text from its parts (the words typed, a forwarded or shared message, poll questions and answers, attachment
names, titles and alt text), so a breach cannot hide in a part nudgebot does not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[_\-.+]+")
_SPOILER = "SPOILER_"  # Discord marks a spoiler attachment by this prefix on its file name


def file_name_words(name: str) -> str:
    """A file's name as the words a reader sees in it: no extension, separators as spaces
    ("you_are-useless.png" reads "you are useless")."""
    name = name.strip()
    if name.startswith(_SPOILER):
        name = name[len(_SPOILER):]
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.isalnum() and len(extension) <= 5:
        name = stem
    return " ".join(_SEPARATORS.sub(" ", name).split())


def gather(parts: Iterable[str | None]) -> str:
    """The parts, in order, one per line; empty and repeated parts left out (a file's title is often its name)."""
    kept: list[str] = []
    for part in parts:
        if part and part.strip() and part not in kept:
            kept.append(part)
    return "\n".join(kept)
