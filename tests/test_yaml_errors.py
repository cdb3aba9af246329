"""A broken YAML file (a rule pack, the policy, a demo script) is named in one line that says where, once.

Issue 16 point 13 saw "at at line 1"; these check every YAML reader gives one "at line N" and no PyYAML
multi-line text ("<unicode string>", a caret line) instead of the file's own name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.demo.script import load_script
from bot.detection.clauses import load_policy
from bot.detection.rules import load_rule_set
from bot.errors import NudgebotError

BROKEN: dict[str, tuple[str, int | None]] = {
    "a key on the line of a value": ("pack: p\nrules: x: y\n", 2),
    "an unclosed list": ("pack: p\nrules:\n  - [a, b\n", None),  # found at the end: libyaml and PyYAML differ
    "an unknown alias": ("pack: p\nrules: *nothing\n", 2),
    "a tab for indentation": ("pack: p\nrules:\n\t- id: x\n", 3),
}


def _rules(path: Path) -> object:
    return load_rule_set([path.parent], validator_names=[])


@pytest.mark.parametrize("reader", [_rules, load_policy, load_script], ids=["rule pack", "policy", "demo script"])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_yaml_file_is_one_line_naming_the_file_and_the_line_once(
        tmp_path: Path, reader: Callable[[Path], object], case: str) -> None:
    text, line = BROKEN[case]
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NudgebotError) as raised:
        reader(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message and "<unicode string>" not in message
    assert message.count(" at ") == 1 and "at at" not in message
    assert re.search(rf"not valid YAML at line {line or '[0-9]+'}: \S", message), message
