"""The examples in docs/rules.md are real: written into a pack folder, `nudgebot rules check` passes them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_the_guides_examples_pass_rules_check(tmp_path: Path, nudgebot_cmd: list[str],
                                              clean_env: dict[str, str]) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), re.S)
    packs = [b for b in blocks if b.startswith("pack:")]
    extra_rules = [b for b in blocks if b.lstrip().startswith("- id:")]
    assert len(packs) >= 2 and len(extra_rules) >= 2
    (tmp_path / "first.yaml").write_text(packs[0] + "".join(extra_rules), encoding="utf-8")
    for number, pack in enumerate(packs[1:], start=2):
        (tmp_path / f"pack{number}.yaml").write_text(pack.replace("pack: our-society", f"pack: our-society-{number}"),
                                                    encoding="utf-8")
    result = subprocess.run([*nudgebot_cmd, "rules", "check", str(tmp_path)], env=clean_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All examples pass" in result.stdout
