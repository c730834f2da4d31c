"""Measure the tasks: classical references, and hybrid minus classical-only control accuracy.

Not part of ``make bench`` (it takes ~40 CPU-minutes). Two parts:

``refs``
    Per task, over 10 task instances (``n_train = n_test = 200``): logistic regression, a small
    MLP (8 tanh units) and a larger one (64-64 relu) from scikit-learn on the task features, and
    for the angle tasks the same on the periodic embedding (cos x, sin x).
``gap``
    The real models (`etr.hybrid.HybridModel`, `etr.hybrid.ClassicalControl`, `etr.hybrid.train`)
    at the paper preset's training settings (200 training and 200 test points, 100 full-batch Adam
    steps, learning rate 0.05; K = 3 initialisations per run instead of 16, to fit the budget),
    pre-network ``none`` and ``8-tanh``, post-network ``8-tanh``, encoding ``ry``, widths 4, 6, 8,
    10. For every task instance (replicate) and width, circuits are sampled from the paper
    preset's HEA grid (layers 1, 2, 4, 6, 8, 10 x topology none / linear / ring / full x rotations
    RY / RY+RZ / RX+RY+RZ, CZ; at 10 qubits layers 1, 2, 4 only, for CPU); the same circuits
    serve both pre-networks and both hybrid configurations, and every (instance, classical parts,
    width) has one control per fixed map (``tanh``, the default, and ``cos``). Task instances
    are seeded from (root seed, task, replicate) and shared by every run of the replicate.
    Runs are journalled (JSON lines) and skipped when the script is restarted.

``long``
    The ``tanh`` controls again with 1000 instead of 100 Adam steps: is the control's deficit
    an artefact of the shared step budget?

``python benchmarks/measure_tasks.py refs|gap|long|report [--workers 2] [--out DIR]``;
``report`` prints the gap tables (`etr.analysis.control_gap`) from the journals.
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
GAP_TASKS = ("synthetic", "teacher", "parity")
REPLICATES = 5
#: circuits sampled per (instance, width); the same ones for every pre-network and config.
CIRCUITS = {4: 3, 6: 2, 8: 1, 10: 1}
SYNTHETIC_WIDTHS = (4, 6, 8)  # the easy baseline: no 10-qubit runs (CPU)
LAYERS = (1, 2, 4, 6, 8, 10)
LAYERS_10Q = (1, 2, 4)
TOPOLOGIES = ("none", "linear", "ring", "full")
ROTATIONS = ("RY", "RY+RZ", "RX+RY+RZ")
PRES = ("none", "8-tanh")
POST = "8-tanh"
CONFIGS = ("hybrid_full", "hybrid_quantum_only")
MAPS = ("tanh", "cos")
LONG_STEPS = 1000
TRAIN = {"n_train": 200, "n_test": 200, "n_init": 3, "steps": 100, "learning_rate": 0.05}


def _words(*parts: object) -> tuple[int, ...]:
    """Stable 32-bit words of a key (for `SeedSequence` spawn keys)."""
    digest = hashlib.sha256(json.dumps(parts).encode()).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def task_instance(name: str, replicate: int):
    """The task instance of (task, replicate): seeded from (root seed, task, replicate) only."""
    from etr.hybrid import load_task

    ss = np.random.SeedSequence(ROOT_SEED, spawn_key=(1, replicate, *_words(name)))
    return load_task(name, n_train=TRAIN["n_train"], n_test=TRAIN["n_test"],
                     seed=np.random.default_rng(ss))


def sample_circuits(replicate: int, width: int) -> list[dict]:
    """Circuits of (replicate, width), drawn from the paper grid (the same for every task)."""
    rng = np.random.default_rng(np.random.SeedSequence(ROOT_SEED,
                                                       spawn_key=(2, replicate, width)))
    layers = LAYERS_10Q if width >= 10 else LAYERS
    out = []
    for _ in range(CIRCUITS[width]):
        out.append({"layers": int(rng.choice(layers)), "topology": str(rng.choice(TOPOLOGIES)),
                    "rotations": str(rng.choice(ROTATIONS))})
    return out


def jobs() -> list[dict]:
    """Every run of the measurement, most expensive first (better packing on the pool)."""
    out = []
    for task in GAP_TASKS:
        widths = SYNTHETIC_WIDTHS if task == "synthetic" else tuple(CIRCUITS)
        for rep in range(REPLICATES):
            for width in widths:
                circuits = sample_circuits(rep, width)
                for pre in PRES:
                    base = {"task": task, "replicate": rep, "n_qubits": width, "pre": pre}
                    for m in MAPS:
                        out.append({**base, "config": "classical_only", "map": m,
                                    "circuit": None})
                    for i, c in enumerate(circuits):
                        for config in CONFIGS:
                            out.append({**base, "config": config, "map": None, "circuit": c,
                                        "slot": i})
    cost = {4: 1, 6: 4, 8: 15, 10: 50}
    out.sort(key=lambda j: -(cost[j["n_qubits"]] * (j["circuit"] or {"layers": 0})["layers"]))
    return out


def job_key(job: dict) -> str:
    return hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:16]


def run_job(job: dict) -> dict:
    """Train one run and return its record (contract column names where they exist)."""
    from etr.hybrid import ClassicalControl, HybridModel, encoding_features, train
    from etr.plan import Architecture

    t_wall, t_cpu = time.perf_counter(), time.process_time()
    task = task_instance(job["task"], job["replicate"])
    width = job["n_qubits"]
    factors = {"n_qubits": width, "classical_pre": job["pre"], "classical_post": POST,
               "encoding": "ry", **(job["circuit"] or {"layers": 1})}
    arch = Architecture(**factors)
    if job["pre"] == "none":
        x_tr, x_te = encoding_features(task, width)
    else:
        x_tr, x_te = task.x_train, task.x_test
    d = x_tr.shape[1]
    if job["config"] == "classical_only":
        model = ClassicalControl(arch, d, fixed_map=job["map"])
        key = ("control", job["task"], job["replicate"], width, job["pre"], job["map"])
    else:
        model = HybridModel(arch, job["config"], d)
        # quantum-only and full runs of one architecture start from the same parameters
        key = ("hybrid", job["task"], job["replicate"], arch.architecture_id)
    ss = np.random.SeedSequence(ROOT_SEED, spawn_key=(3, *_words(*key)))
    params = model.init_params(TRAIN["n_init"], np.random.default_rng(ss))
    steps = job.get("steps", TRAIN["steps"])
    res = train(model, params, x_tr, task.y_train, steps=steps,
                learning_rate=TRAIN["learning_rate"])
    acc = model.accuracy(res.final_params, x_te, task.y_test)
    train_acc = model.accuracy(res.final_params, x_tr, task.y_train)
    rec = {
        "task": job["task"], "task_id": task.task_id, "seed": job["replicate"],
        "training_config": job["config"], "control_map": job["map"],
        "classical_pre": job["pre"], "classical_post": POST, "n_qubits": width,
        "encoding": "ry", "steps": steps, "layers": arch.layers if job["circuit"] else None,
        "topology": arch.topology if job["circuit"] else None,
        "rotations": arch.rotations if job["circuit"] else None,
        "pqc_id": arch.pqc_id if job["circuit"] else None,
        "architecture_id": arch.architecture_id if job["circuit"] else None,
        "n_quantum_params": model.n_quantum_params,
        "n_classical_params": model.n_classical_params,
        "final_loss": float(res.final_loss.mean()),
        "loss_decrease": float(np.mean((res.initial_loss - res.final_loss) / res.initial_loss)),
        "train_accuracy": float(train_acc.mean()),
        "test_accuracy": float(acc.mean()), "test_accuracy_std": float(acc.std()),
        "cpu_s": time.process_time() - t_cpu, "wall_s": time.perf_counter() - t_wall,
    }
    return {"key": job_key(job), **rec}


def long_control_jobs() -> list[dict]:
    """The ``tanh`` controls again with 10x the optimiser steps (is the control's deficit an
    optimisation artefact of the shared 100-step budget?)."""
    return [{**j, "steps": LONG_STEPS} for j in jobs()
            if j["config"] == "classical_only" and j["map"] == "tanh"]


def _journal(out: Path, part: str = "gap") -> Path:
    return out / ("measure_tasks_runs.jsonl" if part == "gap" else "measure_tasks_long.jsonl")


def run_gap(out: Path, workers: int, part: str = "gap") -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = _journal(out, part)
    done = set()
    if path.exists():
        done = {json.loads(line)["key"] for line in path.read_text().splitlines() if line}
    todo = [j for j in (jobs() if part == "gap" else long_control_jobs())
            if job_key(j) not in done]
    print(f"{len(done)} runs done, {len(todo)} to go", flush=True)
    t0 = time.perf_counter()
    with get_context("fork").Pool(workers) as pool, path.open("a") as fh:
        for i, rec in enumerate(pool.imap_unordered(run_job, todo), 1):
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            if i % 20 == 0 or i == len(todo):
                print(f"  {i}/{len(todo)} runs, {time.perf_counter() - t0:.0f} s", flush=True)


def load_runs(out: Path, part: str = "gap") -> pd.DataFrame:
    lines = _journal(out, part).read_text().splitlines()
    df = pd.DataFrame([json.loads(line) for line in lines if line])
    if "steps" not in df.columns:
        df["steps"] = np.nan
    return df.fillna({"steps": TRAIN["steps"]})


def _fmt(res: pd.DataFrame, by: list[str]) -> str:
    cols = ["task", "training_config", *by, "n", "n_clusters", "hybrid_mean", "control_mean",
            "estimate", "ci_low", "ci_high", "p_value"]
    df = res[cols].copy()
    for c in ("hybrid_mean", "control_mean", "estimate", "ci_low", "ci_high"):
        df[c] = (100 * df[c]).round(1)
    df["p_value"] = df["p_value"].map(lambda p: f"{p:.2g}")
    return df.to_string(index=False)


def report(out: Path) -> None:
    from etr.analysis import control_gap

    runs = load_runs(out)
    print(f"{len(runs)} runs; task instances per task: "
          f"{runs.groupby('task')['task_id'].nunique().to_dict()}")
    shared = runs.groupby(["task", "seed"])["task_id"].nunique()
    print(f"one task_id per (task, replicate): {bool((shared == 1).all())}")
    hyb = runs[runs.training_config != "classical_only"]
    print("\nCPU seconds per run (mean over runs; K = 3 inits, 200 points, 100 steps):")
    print(hyb.groupby(["n_qubits", "training_config"])["cpu_s"].mean().round(1).unstack()
          .to_string())
    ctrl = runs[runs.training_config == "classical_only"]
    print(f"control: {ctrl['cpu_s'].mean():.2f} s per run; total CPU "
          f"{runs['cpu_s'].sum() / 60:.1f} min")
    print("\nHybrid runs by circuit sampled (mean test accuracy):")
    print(hyb.groupby(["task", "classical_pre", "training_config"])["test_accuracy"].mean()
          .unstack().round(3).to_string())
    for m in MAPS:
        data = runs[(runs.training_config != "classical_only") | (runs.control_map == m)]
        print(f"\n===== gap = hybrid - control ({m} map), points of accuracy, 95% CI over "
              "task instances =====")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for by in ([], ["classical_pre"], ["n_qubits"], ["classical_pre", "n_qubits"]):
                res = control_gap(data, by=by or None, n_boot=4000, seed=0, p_adjust="none")
                print(f"\n-- by task, config{', ' + ', '.join(by) if by else ''}")
                print(_fmt(res, by))
    # one layer ends with its CZs, which commute with the Z readouts: a product circuit too
    ent = hyb.assign(entangling=(hyb.topology != "none") & (hyb.layers >= 2))
    print("\nHybrid test accuracy: product circuits (topology none, or one layer) vs "
          "entangling ones:")
    print(ent.groupby(["task", "classical_pre", "training_config", "entangling"])
          ["test_accuracy"].mean().unstack().round(3).to_string())
    if _journal(out, "long").exists():
        long = load_runs(out, "long")
        both = pd.concat([ctrl[ctrl.control_map == "tanh"], long])
        print(f"\ntanh control, {TRAIN['steps']} vs {LONG_STEPS} Adam steps (train / test "
              "accuracy):")
        print(both.groupby(["task", "classical_pre", "steps"])[
            ["train_accuracy", "test_accuracy"]].mean().unstack().round(3).to_string())
        data = pd.concat([hyb, long])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = control_gap(data, by="classical_pre", n_boot=4000, seed=0, p_adjust="none")
        print(f"\n-- gap against the {LONG_STEPS}-step tanh control, by task, config, "
              "classical_pre")
        print(_fmt(res, ["classical_pre"]))


# ---------------------------------------------------------------------- references
def references(n_instances: int = 10) -> pd.DataFrame:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from etr.hybrid import TASKS

    models = {
        "logistic": lambda: LogisticRegression(max_iter=5000),
        "mlp_8_tanh": lambda: MLPClassifier((8,), activation="tanh", max_iter=5000,
                                            random_state=0),
        "mlp_64_64": lambda: MLPClassifier((64, 64), max_iter=5000, random_state=0),
    }
    rows = []
    for name, info in TASKS.items():
        n_train, n_test = (TRAIN["n_train"], TRAIN["n_test"]) if not info.pool or \
            info.pool >= 400 else (info.pool // 2, info.pool - info.pool // 2)
        for rep in range(n_instances):
            from etr.hybrid import load_task

            ss = np.random.SeedSequence(ROOT_SEED, spawn_key=(1, rep, *_words(name)))
            task = load_task(name, n_train=n_train, n_test=n_test,
                             seed=np.random.default_rng(ss))
            feats = {"x": (task.x_train, task.x_test)}
            if info.kind == "angles":
                emb = [np.hstack([np.cos(a), np.sin(a)]) for a in (task.x_train, task.x_test)]
                feats["(cos x, sin x)"] = tuple(emb)
            for fname, (xtr, xte) in feats.items():
                for mname, make in models.items():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        acc = make().fit(xtr, task.y_train).score(xte, task.y_test)
                    rows.append({"task": name, "features": fname, "model": mname,
                                 "replicate": rep, "test_accuracy": acc})
    return pd.DataFrame(rows)


def run_refs(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.process_time()
    df = references()
    df.to_csv(out / "measure_tasks_refs.csv", index=False)
    table = df.groupby(["task", "features", "model"])["test_accuracy"].agg(["mean", "std"])
    print(table.round(3).unstack("model").to_string())
    print(f"[{time.process_time() - t0:.0f} CPU s]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("refs", "gap", "long", "report"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.part == "refs":
        run_refs(args.out)
    elif args.part in ("gap", "long"):
        run_gap(args.out, args.workers, args.part)
        report(args.out)
    else:
        report(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
