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


def test_readme_says_which_tests_need_chromium_and_how_they_find_it():
    text = " ".join(README.read_text(encoding="utf-8").split())
    tests = README.parent / "tests"
    for path in sorted(tests.rglob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        if not re.search(r"^@pytest\.mark\.browser$", source, flags=re.M):
            continue
        rel = path.relative_to(README.parent).as_posix()
        assert rel in text, f"{rel} needs Chromium: the README's test section must name it"
        for name in re.findall(r"@pytest.mark.browser\n(?:@.*\n)*def (test_\w+)", source):
            assert name in text or "tests/report/test_browser_report.py" == rel, name
    conftest = (tests / "report" / "conftest.py").read_text(encoding="utf-8")
    for where in ("ETR_CHROMIUM", "/usr/bin/chromium", "ETR_REQUIRE_BROWSER"):
        assert where in conftest and where in text, where
def test_readme_specs_load():
    """Every TOML spec of the README is valid; the noise tour's spec crosses three levels."""
    from etr.experiment import expand_grid, load_spec

    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    specs = [load_spec(b) for b in blocks]
    noisy = [s for s in specs if s.noise]
    assert noisy, "the noise tour's spec"
    spec = noisy[0]
    assert [m.depolarizing for m in spec.noise_levels] == [0.0, 0.01, 0.05]
    cells = expand_grid(spec)
    assert {c.noise.depolarizing for c in cells} == {0.0, 0.01, 0.05}
