"""The data layer imports no simulation code: checking and sizing a spec is instant."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SIMULATION = ("numba", "qutip", "qutip_qip", "sklearn")

SCRIPT = """
import json, sys
import etr.plan, etr.plan.cost, etr.plan.limits
import etr.experiment.spec, etr.experiment.grid, etr.experiment.size
import etr.nas.spec, etr.nas.space
from etr.experiment import estimate, expand_grid, preset_spec
from etr.nas.spec import nas_preset
spec = preset_spec("quick")
expand_grid(spec)
estimate(spec)
estimate(preset_spec("paper"))
nas_preset("quick").run_settings()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {mods})))
"""


def test_specs_grids_and_architectures_load_no_simulation_stack():
    script = SCRIPT.format(mods=set(SIMULATION))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.slow
def test_a_simulation_import_is_seen():
    """The check above can fail: importing the simulation core shows up in sys.modules."""
    script = ("import json, sys; import etr.hybrid.run; "
              f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
              f"{set(SIMULATION)})))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert "numba" in json.loads(out.stdout)


@pytest.mark.parametrize("name", ["Architecture", "RunSettings", "parse_classical",
                                  "PURE_PQC_READOUT_SCALE", "ACTIVATIONS", "TaskInfo"])
def test_data_layer_names_have_one_public_home(name):
    import etr.hybrid
    import etr.plan

    assert name in etr.plan.__all__ and hasattr(etr.plan, name)
    assert name not in etr.hybrid.__all__ and not hasattr(etr.hybrid, name)
