"""No import runs from a lower layer to a higher one.

The layers, as ARCHITECTURE.md and the README's "Layout" state them: circuits <- plan <- quantum <-
metrics / theory <- hybrid <- experiment; `etr.analysis` depends only on the dataset contract and
`etr.report` on the analysis and the contract; `etr.nas` builds on the simulation stack, the
analysis and the report; the CLI sits on top. Under everything: the contract and its file format
(`etr.contract`, `etr.dataset`) and the helpers (errors, validation, seeds, hashing, outputs,
signals). Every import is checked, also the ones inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "etr"

#: the bottom: imports nothing but each other and the standard and third-party libraries.
BASE = {"errors", "_validation", "_rng", "_hashing", "_outputs", "_signals", "contract",
        "dataset", "etr"}
_SIM = {"circuits", "plan", "quantum", "metrics", "theory", "hybrid"}
#: unit -> the etr units it may import (beside itself and BASE).
ALLOWED: dict[str, set[str]] = {
    "circuits": set(),
    "plan": {"circuits"},
    "quantum": {"circuits", "plan"},
    "metrics": {"circuits", "plan", "quantum"},
    "theory": {"circuits", "plan", "quantum"},
    "hybrid": {"circuits", "plan", "quantum", "metrics", "theory"},
    "parallel": set(),
    "experiment": _SIM | {"parallel"},
    "analysis": {"parallel"},  # the worker pool of the bootstraps (no simulation code)
    "report": {"analysis", "parallel"},
    "nas": _SIM | {"parallel", "experiment", "analysis", "report"},
    "cli": _SIM | {"parallel", "experiment", "analysis", "report", "nas"},
    "_start": {"cli"},  # the console entry: signal handling from the first line, then the CLI
    "__main__": {"cli", "_start"},
}


def _unit(module: str) -> str:
    """`etr.metrics.frame_potential` -> ``metrics``; `etr` -> ``etr``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "etr"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "etr":
                found |= {f"etr.{a.name}" for a in node.names}
            elif node.module.startswith("etr."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("etr.")}
    return {_unit(m) for m in found}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        out.append((".".join(rel.parts).removesuffix(".__init__"), path))
    return out


def test_every_unit_has_a_place():
    units = {_unit(m) for m, _ in _modules()}
    assert units <= set(ALLOWED) | BASE, units - set(ALLOWED) - BASE


@pytest.mark.parametrize("module, path", _modules(), ids=[m for m, _ in _modules()])
def test_no_import_runs_upwards(module, path):
    unit = _unit(module)
    allowed = BASE if unit in BASE else BASE | ALLOWED[unit]
    wrong = _imports(path) - allowed - {unit, "__version__"}
    assert not wrong, f"{module} imports {sorted(wrong)}"


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from etr.hybrid.tasks import TASKS\n")
    assert "hybrid" in _imports(bad) and "hybrid" not in ALLOWED["plan"]
