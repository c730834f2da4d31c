"""Pilot for a study's design: control gaps, definitions off the ceiling, instance variance.

Not part of ``make bench`` (about 25 CPU-minutes). It runs the real models with the real
trainability producers (`etr.hybrid.run.DEFINITIONS` on a `etr.hybrid.RunContext`, checked
against `etr.hybrid.evaluate_run` before anything else), on a complete crossing of

* 6 tasks: ``synthetic`` (the easy baseline), ``teacher`` and ``parity`` (angle tasks),
  ``breast_cancer``, ``digits_1v8`` and ``wine`` (real data shipped with scikit-learn);
* 10 task instances per task (`etr.experiment.grid.task_seed`: instance i is a study's
  instance i), each with its own run seeds (`etr.experiment.grid.run_seed`);
* 8 fixed circuits (`CIRCUITS`: 6 at 4 qubits from a product circuit to 8 layers, 2 at 6
  qubits), each trained on every instance as ``pure_pqc`` and as ``hybrid_quantum_only`` and
  ``hybrid_full`` with pre-network ``none`` and ``8-tanh`` (post-network ``8-tanh``), plus the
  classical-only control (``tanh`` map) per (instance, width, pre-network);

with the training settings of `SETTINGS` (100 training points, at most 200 test points, 4
initialisations, 100 full-batch Adam steps at learning rate 0.1). Each run keeps, besides its
record, ``steps_to_target`` at every candidate target `FRACTIONS` and ``loss_decrease`` at every
candidate budget `BUDGETS` (from the run's training-set loss after every step), so the report
can price every (target, budget) without training again.

What ``report`` prints (the numbers behind ``TASKS[...]`` and ``benchmarks/README.md``):

1. the control gap (hybrid minus classical-only control test accuracy, points) per task,
   configuration and pre-network, with its 95% t interval over the 10 instances
   (`etr.analysis.control_gap`);
2. the fraction of runs at either end of the convergence definitions
   (`etr.analysis.saturation`) per task and configuration at every candidate target f and
   budget B, the chosen ones (`choose`: f per task and configuration, B per task), and the
   fractions before (f = 0.25, B = the whole run) and after;
3. the post-network's scaling: median ratios of the loss-gradient definitions to
   ``grad_var`` and the hybrid_full / hybrid_quantum_only ratio of every gradient definition,
   paired by circuit, instance and pre-network, beside ``grad_var_readout``;
4. variance components (two-way ANOVA, circuits x instances, method of moments) of each
   definition and of the test accuracy, per task, configuration and pre-network at 4 qubits:
   the instance share that a study with one instance per circuit would leave in its errors.

``python benchmarks/pilot_design.py run|report [--workers 2] [--out DIR]``; ``run`` journals
every finished run (JSON lines) and skips them when restarted, then reports. The journal of the
measured run is committed gzipped (``results/pilot_design_runs.jsonl.gz``); ``report`` reads it
when no plain journal is there.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT_SEED = 2026
HERE = Path(__file__).resolve().parent
OUT = HERE / "results"
TASK_NAMES = ("synthetic", "teacher", "parity", "breast_cancer", "digits_1v8", "wine")
INSTANCES = 10
CIRCUITS = (
    {"n_qubits": 4, "layers": 1, "topology": "none", "rotations": "RY"},
    {"n_qubits": 4, "layers": 2, "topology": "linear", "rotations": "RY+RZ"},
    {"n_qubits": 4, "layers": 3, "topology": "linear", "rotations": "RY"},
    {"n_qubits": 4, "layers": 4, "topology": "ring", "rotations": "RX+RY+RZ"},
    {"n_qubits": 4, "layers": 6, "topology": "full", "rotations": "RX+RY+RZ"},
    {"n_qubits": 4, "layers": 8, "topology": "full", "rotations": "RY+RZ"},
    {"n_qubits": 6, "layers": 2, "topology": "ring", "rotations": "RY+RZ"},
    {"n_qubits": 6, "layers": 6, "topology": "linear", "rotations": "RX+RY+RZ"},
)
PRES = ("none", "8-tanh")
POST = "8-tanh"
HYBRIDS = ("hybrid_quantum_only", "hybrid_full")
DEFINITIONS = ("grad_var", "grad_var_landscape", "grad_var_readout", "grad_var_train",
               "grad_norm", "loss_decrease", "steps_to_target")
TRAIN = {"n_train": 100, "n_test": 200, "n_init": 4, "steps": 100, "learning_rate": 0.1,
         "landscape_samples": 8, "budget_steps": 100, "target_fraction": 0.25}
FRACTIONS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
BUDGETS = (1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 100)
#: the most runs of any PQC configuration allowed at either end of a definition when choosing.
SATURATION_TOLERANCE = 0.10


def settings(task: str):
    from etr.plan import RunSettings

    return RunSettings(task=task, definitions=DEFINITIONS, **TRAIN)


def jobs() -> list[dict]:
    """Every run, most expensive first (better packing on the pool)."""
    out = []
    for task in TASK_NAMES:
        for inst in range(INSTANCES):
            base = {"task": task, "instance": inst}
            for width in sorted({c["n_qubits"] for c in CIRCUITS}):
                for pre in PRES:
                    out.append({**base, "config": "classical_only", "pre": pre,
                                "circuit": {"n_qubits": width, "layers": 1}})
            for circ in CIRCUITS:
                out.append({**base, "config": "pure_pqc", "pre": "none", "circuit": circ})
                for pre in PRES:
                    for config in HYBRIDS:
                        out.append({**base, "config": config, "pre": pre, "circuit": circ})
    out.sort(key=lambda j: -(4 ** (j["circuit"]["n_qubits"] - 4) * j["circuit"]["layers"]))
    return out


def job_key(job: dict) -> str:
    return hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:16]


def _architecture(job: dict):
    from etr.plan import Architecture

    return Architecture(**job["circuit"], classical_pre=job["pre"], classical_post=POST)


def run_job(job: dict) -> dict:
    """Train one run as `etr.hybrid.evaluate_run` does and keep the candidate convergence
    values beside its record."""
    from etr.experiment.grid import run_seed, task_seed
    from etr.hybrid import ClassicalControl, HybridModel, load_task, train
    from etr.hybrid.run import _STREAMS, QUANTUM_DEFINITIONS, RunContext, model_task
    from etr.hybrid.run import DEFINITIONS as PRODUCERS
    from etr.metrics.trainability import loss_decrease, steps_to_target

    t_cpu = time.process_time()
    s = settings(job["task"])
    arch = _architecture(job)
    config = job["config"]
    used = arch.without_classical() if config == "pure_pqc" else arch
    control = config == "classical_only"
    model_id = used.control_id if control else used.architecture_id
    seed = run_seed(ROOT_SEED, model_id, 0, job["instance"])
    streams = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS))))
    task = model_task(load_task(job["task"], n_train=s.n_train, n_test=s.n_test,
                                seed=task_seed(ROOT_SEED, job["task"], job["instance"])), used)
    model = (ClassicalControl(used, task.n_features) if control
             else HybridModel(used, config, task.n_features))
    params0 = model.init_params(s.n_init, np.random.default_rng(streams["init"]))
    result = train(model, params0, task.x_train, task.y_train, steps=s.steps,
                   learning_rate=s.learning_rate, seed=np.random.default_rng(streams["batch"]),
                   record_train_loss=True)
    ctx = RunContext(model, result, task, s, streams)
    rec = {"key": job_key(job), "task": job["task"], "instance": job["instance"],
           "task_id": task.task_id, "seed": 0, "training_config": config,
           "classical_pre": used.classical_pre, "classical_post": used.classical_post,
           "encoding": used.encoding, "n_qubits": used.n_qubits,
           "layers": used.layers if not control else 0,
           "circuit": None if control else "{n_qubits}q L{layers} {rotations} {topology}".format(
               **job["circuit"]),
           "pqc_id": None if control else used.pqc_id, "run_seed": seed}
    for name in DEFINITIONS:
        if not (control and name in QUANTUM_DEFINITIONS):
            rec.update(PRODUCERS[name](ctx))
    losses = result.train_loss
    for f in FRACTIONS:
        r = steps_to_target(losses, fraction=f)
        rec[f"stt_{f}"] = r.steps
        rec[f"stt_{f}_censored"] = r.censored
    for b in BUDGETS:
        rec[f"ld_{b}"] = loss_decrease(losses[0], losses[min(b, s.steps)])
    rec["final_loss"] = float(result.final_loss.mean())
    rec["test_accuracy"] = float(model.accuracy(result.final_params, task.x_test,
                                                task.y_test).mean())
    rec["train_accuracy"] = float(model.accuracy(result.final_params, task.x_train,
                                                 task.y_train).mean())
    rec["cpu_s"] = time.process_time() - t_cpu
    return {k: (bool(v) if isinstance(v, np.bool_) else v) for k, v in rec.items()}


def self_check() -> None:
    """The pilot's producers give `evaluate_run`'s numbers for the same seeds."""
    from etr.experiment.grid import run_seed, task_seed
    from etr.hybrid import evaluate_run

    job = {"task": "parity", "instance": 3, "config": "hybrid_full", "pre": "8-tanh",
           "circuit": CIRCUITS[1]}
    mine = run_job(job)
    arch = _architecture(job)
    ref = evaluate_run(arch, "hybrid_full", run_seed(ROOT_SEED, arch.architecture_id, 0, 3),
                       settings("parity"), task_seed(ROOT_SEED, "parity", 3))
    for name in (*DEFINITIONS, "test_accuracy", "final_loss", "task_id"):
        assert mine[name] == ref[name], (name, mine[name], ref[name])
    assert mine["ld_100"] == ref["loss_decrease"] and mine["stt_0.25"] == ref["steps_to_target"]
    print("self-check: the pilot's records equal evaluate_run's", flush=True)


def _journal(out: Path) -> Path:
    return out / "pilot_design_runs.jsonl"


def run(out: Path, workers: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = _journal(out)
    done = set()
    if path.exists():
        done = {json.loads(line)["key"] for line in path.read_text().splitlines() if line}
    todo = [j for j in jobs() if job_key(j) not in done]
    if not done:
        self_check()
    print(f"{len(done)} runs done, {len(todo)} to go", flush=True)
    t0 = time.perf_counter()
    with get_context("fork").Pool(workers) as pool, path.open("a") as fh:
        for i, rec in enumerate(pool.imap_unordered(run_job, todo, chunksize=4), 1):
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            if i % 50 == 0 or i == len(todo):
                print(f"  {i}/{len(todo)} runs, {time.perf_counter() - t0:.0f} s", flush=True)


def load(out: Path) -> pd.DataFrame:
    """The journal's runs (or those of its gzipped copy, the one committed)."""
    path = _journal(out)
    if path.exists():
        text = path.read_text()
    else:
        import gzip

        text = gzip.decompress(path.with_suffix(".jsonl.gz").read_bytes()).decode()
    return pd.DataFrame([json.loads(line) for line in text.splitlines() if line])


# ---------------------------------------------------------------------- report
def _gap_table(runs: pd.DataFrame) -> pd.DataFrame:
    from etr.analysis import control_gap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = control_gap(runs, by="classical_pre", n_boot=4000, seed=0, p_adjust="none")
    res = res[["task", "training_config", "classical_pre", "n_clusters", "hybrid_mean",
               "control_mean", "estimate", "ci_low", "ci_high", "p_value"]].copy()
    for c in ("hybrid_mean", "control_mean", "estimate", "ci_low", "ci_high"):
        res[c] = (100 * res[c]).round(1)
    return res


def _convergence_frame(runs: pd.DataFrame, f: float, b: int) -> pd.DataFrame:
    """The runs with ``steps_to_target`` at target `f` and ``loss_decrease`` at budget `b`."""
    out = runs.copy()
    out["steps_to_target"] = out[f"stt_{f}"]
    out["steps_to_target_censored"] = out[f"stt_{f}_censored"].astype(bool)
    out["loss_decrease"] = out[f"ld_{b}"]
    return out


def _worst(runs: pd.DataFrame, definition: str) -> float:
    """The largest saturated fraction over the pre-networks (and configurations) of `runs`."""
    from etr.analysis import saturation

    sat = saturation(runs, definitions=definition, by=("training_config", "classical_pre"))
    return float(sat["fraction_saturated"].max())


def _middle(scores: dict, slack: float = 0.02):
    """The middle candidate of those within `slack` of the smallest score (robust to a shift
    of the study's settings away from the pilot's)."""
    best = min(scores.values())
    near = sorted(k for k, v in scores.items() if v <= best + slack)
    return near[(len(near) - 1) // 2]


def choose(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The target f of ``steps_to_target`` per task and PQC configuration, and the budget B of
    ``loss_decrease`` per task.

    f: for each (task, configuration), the classical-only control included, the candidate whose
    worst saturated fraction over the pre-networks is smallest (the middle of those within 0.02
    of it). One f per task cannot
    serve every configuration (hybrid_full reaches any target within a few steps where
    hybrid_quantum_only, behind a frozen random post-network, reaches little; see the
    single-f column). B: per task, the largest candidate whose worst saturated fraction over
    the PQC configurations and pre-networks is at most `SATURATION_TOLERANCE`.
    """
    targets, budgets = [], []
    for task, every in runs.groupby("task", sort=False):
        sub = every[every.training_config != "classical_only"]
        single = {f: _worst(_convergence_frame(sub, f, BUDGETS[-1]), "steps_to_target")
                  for f in FRACTIONS}
        for config, part in every.groupby("training_config"):
            by_f = {f: _worst(_convergence_frame(part, f, BUDGETS[-1]), "steps_to_target")
                    for f in FRACTIONS}
            f = _middle(by_f)
            targets.append({"task": task, "training_config": config, "target_fraction": f,
                            "worst": by_f[f], "worst at f=0.25": by_f[0.25],
                            "one f per task": _middle(single),
                            "worst with one f": single[_middle(single)],
                            **{f"f={k}": round(v, 3) for k, v in by_f.items()}})
        by_b = {b: _worst(_convergence_frame(sub, 0.25, b), "loss_decrease") for b in BUDGETS}
        ok = [b for b in BUDGETS if by_b[b] <= SATURATION_TOLERANCE]
        best_b = max(ok) if ok else _middle(by_b)
        budgets.append({"task": task, "budget_steps": best_b, "worst": by_b[best_b],
                        "worst at B=T": by_b[BUDGETS[-1]],
                        **{f"B={k}": round(v, 3) for k, v in by_b.items()}})
    return pd.DataFrame(targets), pd.DataFrame(budgets)


def _saturation_table(runs: pd.DataFrame, targets: pd.DataFrame,
                      budgets: pd.DataFrame) -> pd.DataFrame:
    """Fraction at the ceiling / floor and the median, before (f = 0.25, B = T) and after."""
    from etr.analysis import saturation

    parts = []
    for (task, config), sub in runs.groupby(["task", "training_config"], sort=False):
        f = targets.set_index(["task", "training_config"]).loc[(task, config), "target_fraction"]
        b = budgets.set_index("task").loc[task, "budget_steps"]
        for label, ff, bb in (("before", 0.25, BUDGETS[-1]), ("after", f, b)):
            sat = saturation(_convergence_frame(sub, ff, bb),
                             by=("task", "training_config", "classical_pre"))
            sat["when"] = label
            sat["setting"] = np.where(sat.definition == "loss_decrease", f"B={bb}", f"f={ff:g}")
            parts.append(sat)
    table = pd.concat(parts, ignore_index=True)
    table = table.pivot_table(index=["task", "training_config", "classical_pre", "definition"],
                              columns="when", aggfunc="first", sort=False,
                              values=["setting", "fraction_ceiling", "fraction_floor", "median"])
    table.columns = [f"{a} {b}" for a, b in table.columns]
    order = [f"{a} {b}" for a in ("setting", "fraction_ceiling", "fraction_floor", "median")
             for b in ("before", "after")]
    return table[order]


def _chosen(runs: pd.DataFrame, targets: pd.DataFrame, budgets: pd.DataFrame) -> pd.DataFrame:
    """The runs with the convergence definitions at the chosen target and budget."""
    parts = []
    for (task, config), sub in runs.groupby(["task", "training_config"], sort=False):
        f = targets.set_index(["task", "training_config"]).loc[(task, config), "target_fraction"]
        parts.append(_convergence_frame(sub, f, budgets.set_index("task").loc[task,
                                                                             "budget_steps"]))
    return pd.concat(parts).sort_index()


def _scaling_table(runs: pd.DataFrame) -> pd.DataFrame:
    pqc = runs[runs.training_config != "classical_only"].copy()
    for d in ("grad_var_train", "grad_var_landscape"):
        pqc[f"{d} / grad_var"] = pqc[d] / pqc["grad_var"]
    ratios = pqc.groupby(["task", "classical_pre", "training_config"])[
        ["grad_var_train / grad_var", "grad_var_landscape / grad_var"]].median()
    keys = ["task", "instance", "pqc_id", "classical_pre"]
    hyb = pqc[pqc.training_config.isin(HYBRIDS)]
    wide = hyb.pivot_table(index=keys, columns="training_config",
                           values=["grad_var_train", "grad_var_landscape", "grad_var_readout"])
    paired = pd.DataFrame({
        f"{d} full/quantum-only": wide[(d, "hybrid_full")] / wide[(d, "hybrid_quantum_only")]
        for d in ("grad_var_train", "grad_var_landscape", "grad_var_readout")})
    paired = paired.groupby(["task", "classical_pre"]).median()
    return ratios.round(3), paired.round(3)


def _variance_components(runs: pd.DataFrame) -> pd.DataFrame:
    """Two-way ANOVA without replication (circuits x instances) at 4 qubits, by moments."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    from etr.contract import METRICS

    rows = []
    four = runs[(runs.n_qubits == 4) & (runs.training_config != "classical_only")]
    for (task, config, pre), sub in four.groupby(["task", "training_config", "classical_pre"]):
        for y in (*DEFINITIONS, "test_accuracy"):
            d = sub[["circuit", "instance", y]].dropna()
            v = d[y].astype(float)
            if y != "steps_to_target" and METRICS[y].log_scale:
                v = np.log10(v.where(v > 0))
            d = d.assign(y=v).dropna()
            n_c, n_i = d["circuit"].nunique(), d["instance"].nunique()
            if len(d) != n_c * n_i or n_c < 2 or n_i < 2 or d["y"].std() == 0:
                continue
            table = anova_lm(smf.ols("y ~ C(circuit) + C(instance)", data=d).fit())
            ms = table["mean_sq"]
            s_res = ms["Residual"]
            s_c = max((ms["C(circuit)"] - s_res) / n_i, 0.0)
            s_i = max((ms["C(instance)"] - s_res) / n_c, 0.0)
            total = s_c + s_i + s_res
            rows.append({"task": task, "config": config, "pre": pre, "y": y,
                         "circuit": s_c / total, "instance": s_i / total,
                         "residual": s_res / total})
    return pd.DataFrame(rows).round(3)


def report(out: Path) -> None:
    runs = load(out)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.max_rows", 500)
    print(f"{len(runs)} runs; instances per task: "
          f"{runs.groupby('task')['task_id'].nunique().to_dict()}")
    print(f"one task_id per (task, instance): "
          f"{bool((runs.groupby(['task', 'instance'])['task_id'].nunique() == 1).all())}")
    cpu = runs.groupby(["n_qubits", "training_config"])["cpu_s"].mean().round(2).unstack()
    print(f"\nCPU seconds per run (mean):\n{cpu.to_string()}\ntotal "
          f"{runs['cpu_s'].sum() / 60:.1f} CPU-minutes")
    print("\nTest accuracy (mean over circuits and instances):")
    print(runs.groupby(["task", "classical_pre", "training_config"])["test_accuracy"].mean()
          .unstack().round(3).to_string())
    print("\n===== 1. control gap: hybrid - classical-only control test accuracy, points, 95% t "
          "interval over instances =====")
    print(_gap_table(runs).to_string(index=False))
    print("\n===== 2. convergence definitions: the fraction of runs at either end =====")
    targets, budgets = choose(runs)
    keep = ["task", "training_config", "target_fraction", "worst", "worst at f=0.25",
            "one f per task", "worst with one f"]
    print("target f of steps_to_target per task and configuration (worst saturated fraction "
          "over the pre-networks):")
    print(targets[keep].round(3).to_string(index=False))
    print("\nbudget B of loss_decrease per task (worst over configurations and pre-networks):")
    print(budgets[["task", "budget_steps", "worst", "worst at B=T"]].round(3)
          .to_string(index=False))
    print("\nworst saturated fraction at each candidate f (steps_to_target):")
    print(targets.drop(columns=keep[2:]).set_index(["task", "training_config"]).to_string())
    print("\nworst saturated fraction at each candidate B (loss_decrease):")
    print(budgets.drop(columns=["budget_steps", "worst", "worst at B=T"]).set_index("task")
          .to_string())
    print("\nfraction at ceiling / floor and median, before (f = 0.25, B = T) and after:")
    print(_saturation_table(runs, targets, budgets).round(3).to_string())
    print("\n===== 3. the post-network's scale =====")
    ratios, paired = _scaling_table(runs)
    print("median ratio to grad_var (same run):")
    print(ratios.to_string())
    print("\nmedian hybrid_full / hybrid_quantum_only, paired by circuit, instance, pre-network:")
    print(paired.to_string())
    print("\n===== 4. variance components at 4 qubits (shares of circuit, instance, residual; "
          "convergence definitions at the chosen target and budget) =====")
    vc = _variance_components(_chosen(runs, targets, budgets))
    print(vc.to_string(index=False))
    print("\nmedian instance share by definition:")
    print(vc.groupby("y")[["circuit", "instance", "residual"]].median().to_string())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("run", "report"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.part == "run":
        run(args.out, args.workers)
    report(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
