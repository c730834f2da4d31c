"""The documentation points at things that exist and states numbers the code computes.

Every file path the docs and docstrings name exists, every dotted ``etr.`` name resolves, and the
sizes the README and the presets' headers quote (runs, distinct circuits, limits, how many
definitions) are what the code computes today.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "benchmarks" / "README.md"]
SOURCES = [*sorted((ROOT / "etr").rglob("*.py")), *sorted((ROOT / "examples").rglob("*.py")),
           *sorted((ROOT / "etr").rglob("*.toml")), *sorted((ROOT / "tests").rglob("*.py")),
           *sorted((ROOT / "benchmarks").rglob("*.py"))]
#: a path into the repository, e.g. ``benchmarks/calibrate_cost.py`` or ``data/quick.parquet``
_PATH = re.compile(r"(?<![\w/.-])(?:etr|tests|benchmarks|examples|data|reports)/[\w/.-]+"
                   r"\.(?:py|md|toml|parquet|html|json|csv)\b")
_DOC = re.compile(r"(?<![\w/.-])[A-Z][A-Z_]+\.md\b")
#: example and generated outputs named in usage text, not files of the repository
_PLACEHOLDER = re.compile(r"NAME|/my\.|/demo\.|/x\.|/d\.|/r\.|quick\.csv|quick_\d+")
_DOTTED = re.compile(r"(?<![\w\"'])etr(?:\.[A-Za-z_]\w*)+")
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", DOCS + SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_files_exist(path):
    text = _text(path)
    missing = [p for p in _PATH.findall(text) if not _PLACEHOLDER.search(p)
               and not (ROOT / p).exists()]
    missing += [d for d in _DOC.findall(text) if not (ROOT / d).exists()
                and not (path.parent / d).exists()]
    assert not missing, missing


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for p in parts[i:]:
                obj = getattr(obj, p)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize("path", DOCS + SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_etr_objects_exist(path):
    names = {n.rstrip(".") for n in _DOTTED.findall(_text(path))}
    assert not [n for n in sorted(names) if not _resolves(n)]


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text, flags=re.S)
    assert match, pattern
    return int(match.group(1).replace(",", ""))


def test_quick_preset_sizes_are_the_code_s():
    from etr.experiment import circuit_units, expand_grid, preset_spec
    from etr.experiment.spec import preset_text

    spec = preset_spec("quick")
    cells = expand_grid(spec)
    circuits = len(circuit_units(spec, cells))
    for text in (_text(ROOT / "README.md"), preset_text("quick")):
        assert _number(r"(\d[\d,]*) runs of", text) == len(cells)
        assert _number(r"runs of\s+(\d+)\s+(?:#\s*)?distinct circuits", text) == circuits


@pytest.mark.slow
def test_paper_preset_circuits_are_the_code_s():
    from etr.experiment import circuit_units, expand_grid, preset_spec
    from etr.experiment.spec import preset_text

    spec = preset_spec("paper")
    circuits = len(circuit_units(spec, expand_grid(spec)))
    readme = _number(r"`paper` preset is the full study: (\d[\d,]*) distinct circuits",
                     _text(ROOT / "README.md"))
    assert readme == _number(r"(\d[\d,]*) distinct circuits", preset_text("paper")) == circuits


def test_readme_limits_and_counts_are_the_code_s():
    from etr.contract import TRAINABILITY_DEFINITIONS
    from etr.experiment import preset_spec
    from etr.plan.limits import LIMITS

    text = _text(ROOT / "README.md")
    assert _number(r"beyond\s+(\d[\d,]*) runs", text) == LIMITS.runs
    assert _number(r"(\d+)\s+qubit-layers per circuit", text) == LIMITS.qubit_layers
    assert _number(r"(\d+)\s+replicates,", text) == LIMITS.seeds
    defs = re.search(r"- (\w+) trainability definitions", text).group(1)
    assert _WORDS[defs] == len(TRAINABILITY_DEFINITIONS)
    tasks = re.search(r"on (\w+) tasks \(an easy one", text).group(1)
    assert _WORDS[tasks] == len(preset_spec("quick").tasks)
