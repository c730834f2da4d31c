"""The README's Python tour runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_states_the_two_commands_first():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    assert "make demo" in first_block and "make test" in first_block


@pytest.mark.slow
def test_readme_python_tour_runs(monkeypatch):
    monkeypatch.chdir(README.parent)
    blocks = _python_blocks()
    assert blocks
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
