"""Same input, same bits: real simulations (no stand-ins) compared with ``==`` on every column.

`etr simulate` killed (SIGTERM, SIGKILL) at several points and resumed, with 1 or 2 workers, with
its units computed in another order, in a fresh process or in one that computed other circuits
first, writes the dataset of one uninterrupted run in every column but ``wall_time_s`` (a
measurement); `etr nas --storage` killed and continued ends with the trials and dataset of an
uninterrupted search. On main before the fix resumed runs differed in up to 6 columns (up to
3.7e-10 relative) and a cell's numbers depended on what its process had computed before (see
`tests/experiment/test_determinism.py` for the mechanism).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from etr_checks import finished_trials, journal_counts

from etr.experiment import (
    circuit_units,
    expand_grid,
    journal_dir,
    load_spec,
    read_dataset,
    run_experiment,
)
from etr.experiment.journal import Journal
from etr.experiment.runner import _evaluate_run, _record, circuit_metrics
from etr.parallel import call

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, /proc")]

#: the metric sample sizes of both specs (a simulation and a search): small, for runs of
#: seconds.
METRICS = """[metrics]
n_states = 60
n_pairs = 40
bins = 20
ec_samples = 10
loss_samples = 30
"""
SPEC = """
root_seed = 7
seeds = 2
configs = ["pure_pqc", "hybrid_quantum_only", "hybrid_full", "classical_only"]
[grid]
classical_pre = ["none", "4-tanh"]
classical_post = ["4-tanh"]
[grid.hea]
n_qubits = [2, 3]
layers = [1, 2]
topology = ["ring"]
rotations = ["RY", "RY+RZ"]
[grid.shots]
max_qubits = 2
max_layers = 1
""" + METRICS + """qfim_samples = 2
[training]
shots = ["none", 64]
n_train = 24
n_test = 16
n_init = 2
steps = 10
ed_data_size = 40
ed_weight_samples = 2
landscape_samples = 2
early_steps = 2
"""
#: real circuits (RY) and complex ones (RY+RZ), every configuration, exact and 64 shots
N_CELLS, N_CIRCUITS = 108, 8


def assert_same_bits(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal in every column but the timing, floats compared exactly (NaN equal to NaN)."""
    pd.testing.assert_frame_equal(got.drop(columns="wall_time_s"),
                                  want.drop(columns="wall_time_s"), check_exact=True)


def _etr(*args: object, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "etr", *map(str, args)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, **kw)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "s.toml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module")
def reference(spec_file) -> pd.DataFrame:
    """One uninterrupted run, one worker, in a fresh process."""
    out = spec_file.parent / "reference.parquet"
    proc = _etr("simulate", spec_file, "-o", out, "-j", 1, "-q")
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    df = read_dataset(out)
    assert len(df) == N_CELLS and df["pqc_id"].nunique() == N_CIRCUITS
    assert (df["status"] == "ok").all() and df["shots"].notna().any()
    return df


def test_two_workers_write_the_same_bits(reference, spec_file, tmp_path):
    out = tmp_path / "two.parquet"
    proc = _etr("simulate", spec_file, "-o", out, "-j", 2, "-q")
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    assert_same_bits(read_dataset(out), reference)


def test_a_warm_process_and_any_unit_order_write_the_same_bits(reference, tmp_path):
    """In this process (which computed other circuits first), with the units computed in reverse
    order and journaled so; the runner then only assembles the dataset."""
    from etr.circuits import hardware_efficient
    from etr.experiment.circuit import circuit_record
    from etr.plan import MetricSpec

    for n, layers in ((4, 3), (2, 5)):  # other work first, different circuits and widths
        circuit_record(hardware_efficient(n, layers),
                       MetricSpec(n_states=50, n_pairs=20, ec_samples=5, loss_samples=10),
                       seed=1)
    spec = load_spec(SPEC)
    cells = expand_grid(spec)
    units = circuit_units(spec, cells)
    out = tmp_path / "reversed.parquet"
    with Journal.open(journal_dir(out), spec.spec_hash(), resume=False) as journal:
        for u in reversed(units):
            journal.append("circuit", u.key, _record(call(circuit_metrics,
                                                          (u.arch, spec.metrics, u.seed))))
        for c in reversed(cells):
            settings = spec.run_settings(**c.grid)
            outcome = call(_evaluate_run, (c.arch, c.training_config, c.seed, settings,
                                           c.task_seed))
            journal.append("cell", c.cell_id, _record(outcome))
    res = run_experiment(spec, out, workers=1, quiet=True, resume=True)
    assert res.n_computed == 0
    assert_same_bits(read_dataset(out), reference)
    direct = run_experiment(spec, tmp_path / "warm.parquet", workers=1, quiet=True)
    assert_same_bits(read_dataset(direct.path), reference)


#: (workers, [(signal, what to wait for, how many), ...]): each entry stops one run of the
#: command, the next continues it with --resume; the last resume runs to the end
KILLS = [
    (1, [(signal.SIGTERM, "cells", 3)]),
    (1, [(signal.SIGKILL, "circuits", 2), (signal.SIGTERM, "cells", 40)]),
    (2, [(signal.SIGTERM, "circuits", 5), (signal.SIGKILL, "cells", 20),
         (signal.SIGINT, "cells", 70)]),
    (2, [(signal.SIGKILL, "cells", 1)]),
]


@pytest.mark.parametrize(("workers", "kills"), KILLS)
def test_killed_and_resumed_writes_the_same_bits(reference, spec_file, tmp_path, workers,
                                                 kills):
    out = tmp_path / "killed.parquet"
    stopped = 0
    for i, (sig, kind, n) in enumerate(kills):
        resume = ("--resume",) if i else ()
        proc = _etr("simulate", spec_file, "-o", out, "-j", workers, "-q", *resume,
                    start_new_session=True)
        index = 0 if kind == "circuits" else 1
        deadline = time.monotonic() + 600
        while (journal_counts(out)[index] < n and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.02)
        if proc.poll() is None:
            os.kill(proc.pid, sig)
            stopped += 1
        proc.communicate(timeout=120)
    assert stopped >= 1  # at least one run was cut short
    proc = _etr("simulate", spec_file, "-o", out, "-j", workers, "-q", "--resume")
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    assert_same_bits(read_dataset(out), reference)


# --- etr nas --storage ---------------------------------------------------------------------

NAS_SPEC = """
root_seed = 3
definitions = ["grad_var_train", "loss_decrease"]
[nas]
n_trials = 10
population_size = 4
objectives = ["expressibility", "trainability", "accuracy"]
compare = ["hybrid_quantum_only/grad_var_train", "hybrid_full/grad_var_train"]
replicates = 2
search_seeds = 2
control = true
[nas.space]
circuits = ["hea"]
n_qubits = [2, 3]
layers = [1, 2]
topologies = ["ring"]
rotations = ["RY", "RY+RZ"]
entanglers = ["CZ"]
encodings = ["ry"]
reupload = [false, true]
pre_depth = [0, 1]
post_depth = [0, 1]
widths = [4]
activations = ["tanh"]
""" + METRICS + """[training]
task = "parity"
n_train = 24
n_test = 16
n_init = 2
steps = 8
"""


def _nas_result(report: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = read_dataset(report.with_suffix(".parquet"))
    trials = pd.DataFrame(data.attrs["provenance"]["nas_trials"])
    return data, trials


def test_a_killed_nas_search_continues_to_the_same_bits(tmp_path):
    spec = tmp_path / "nas.toml"
    spec.write_text(NAS_SPEC)
    base = tmp_path / "base.html"
    proc = _etr("nas", spec, "-o", base, "-j", 1, "-q")
    _, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0, err
    want_data, want_trials = _nas_result(base)

    db, out = tmp_path / "k.db", tmp_path / "k.html"
    args = ("nas", spec, "--storage", f"sqlite:///{db}", "-o", out, "-q")
    stopped = 0
    for at, sig, workers in ((3, signal.SIGKILL, 1), (12, signal.SIGTERM, 2),
                             (25, signal.SIGKILL, 2)):
        proc = _etr(*args, "-j", workers, start_new_session=True)
        deadline = time.monotonic() + 900
        while finished_trials(db) < at and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            os.kill(proc.pid, sig)
            stopped += 1
        proc.communicate(timeout=120)
    assert stopped >= 1
    proc = _etr(*args, "-j", 1)
    _, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0, err
    got_data, got_trials = _nas_result(out)
    volatile = [c for c in ("wall_time_s", "cached") if c in got_trials.columns]
    pd.testing.assert_frame_equal(got_trials.drop(columns=volatile),
                                  want_trials.drop(columns=volatile), check_exact=True)
    assert_same_bits(got_data.drop(columns=[c for c in ("cached",) if c in got_data]),
                     want_data.drop(columns=[c for c in ("cached",) if c in want_data]))
    assert json.dumps(got_data.attrs["provenance"].get("nas_claims"), sort_keys=True) == \
        json.dumps(want_data.attrs["provenance"].get("nas_claims"), sort_keys=True)


_CLAIMS_JSON = """
import sys
import pandas as pd
sys.path.insert(0, "tests/report")
from planted_study import make_study
from etr.report.analyze import analyze_dataset
df = make_study(n_pqcs=48)
noisy = df[df["training_config"] != "classical_only"].head(200).copy()
noisy["depolarizing"] = 0.01
noisy["cell_id"] = noisy["cell_id"].astype(str) + "-n"
data = pd.concat([df.assign(depolarizing=0.0), noisy], ignore_index=True)
tables = analyze_dataset(data, n_boot=60, seed=0).tables()
for name in ("claims", "comparisons", "noise_association"):
    print(tables[name].to_json(double_precision=15))
"""


def test_the_claims_do_not_depend_on_the_hash_seed():
    """Sets of strings iterate in an order that depends on PYTHONHASHSEED; no sum may follow it
    (the paired differences of the claims combine task-instance views)."""
    root = Path(__file__).parents[1]
    out = {subprocess.run([sys.executable, "-c", _CLAIMS_JSON], cwd=root, check=True,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": h}).stdout for h in "0123"}
    assert len(out) == 1 and len(out.pop()) > 1000
