"""What ``etr nas`` does, kept out of `etr.cli` so the CLI stays a thin parser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from etr._outputs import Output, atomic_write, check_outputs, lock_outputs
from etr.dataset import check_format
from etr.errors import SpecError
from etr.experiment.size import Estimate
from etr.nas.evaluate import Evaluator
from etr.nas.objectives import Setting
from etr.nas.run import NasResult, claims_csv, run_nas, trials_dataset
from etr.nas.search import open_storage, storage_path
from etr.nas.spec import NasSpec, load_nas_spec, nas_preset
from etr.plan.architecture import Architecture
from etr.plan.cost import cell_seconds, circuit_seconds
from etr.plan.limits import check_limits

__all__ = ["DEFAULT_COMPARE", "build_spec", "check_nas_outputs", "claims_path", "nas_estimate",
           "run_command"]

DEFAULT_COMPARE: tuple[Setting, ...] = (
    Setting("hybrid_quantum_only", "grad_var"),
    Setting("hybrid_full", "grad_var"),
    Setting("hybrid_full", "loss_decrease"),
)
#: bytes the report, the trials dataset and the claims table may take
_REPORT_BYTES, _DATA_BYTES, _CLAIMS_BYTES = 8 << 20, 4 << 20, 1 << 20


def claims_path(out: str | Path) -> Path:
    """Where the claims table of report `out` goes: ``<out stem>.claims.csv`` beside it.

    Examples
    --------
    >>> claims_path("reports/nas-quick.html").as_posix()
    'reports/nas-quick.claims.csv'
    """
    out = Path(out)
    return out.with_name(f"{out.stem}.claims.csv")


def build_spec(spec_path: str | None, preset: str | None, *, trials: int | None = None,
               storage: str | None = None, training_config: str | None = None,
               trainability: str | None = None, compare: bool = False,
               objectives: str | None = None, seed: int | None = None,
               sampler: str | None = None) -> NasSpec:
    """The spec a command line describes: a file or preset, then the options' overrides.

    ``--training-config`` / ``--trainability`` select one setting (the other defaults to the
    spec's first setting); ``--compare`` runs the spec's ``compare`` list, or the default
    comparison (quantum-only vs end-to-end training, ``grad_var`` vs ``loss_decrease``);
    ``--seed`` replaces ``root_seed``.
    """
    if spec_path is not None and preset is not None:
        raise SpecError("give either a SPEC file or `--preset`, not both")
    spec = load_nas_spec(spec_path) if spec_path is not None else nas_preset(preset or "quick")
    changes: dict = {}
    if trials is not None:
        changes["n_trials"] = trials
    if storage is not None:
        changes["storage"] = storage
    if seed is not None:
        changes["root_seed"] = seed
    if sampler is not None:
        changes["sampler"] = sampler
    if objectives is not None:
        changes["objectives"] = tuple(o.strip() for o in objectives.split(",") if o.strip())
    first = spec.settings[0]
    if compare:
        if training_config is not None or trainability is not None:
            raise SpecError("`--compare` runs several settings: drop `--training-config` and "
                            "`--trainability` or drop `--compare`")
        changes["settings"] = spec.settings if len(spec.settings) > 1 else DEFAULT_COMPARE
    elif training_config is not None or trainability is not None:
        changes["settings"] = (Setting(training_config or first.training_config,
                                       trainability or first.trainability),)
    if "settings" in changes:  # the definitions the settings maximise are computed
        wanted = (*spec.definitions, *(s.trainability for s in changes["settings"]))
        changes["definitions"] = tuple(dict.fromkeys(wanted))
    return spec.replace(**changes) if changes else spec


def nas_estimate(spec: NasSpec) -> Estimate:
    """At most how many runs `spec` makes, and their estimated CPU-seconds.

    Every trial of every search is ``replicates`` runs at most (repeated architectures are
    evaluated once); with several searches the common pool adds at most every other
    (configuration, replicate block) of each architecture. The cost of a run is the mean of
    `etr.plan.cost.cell_seconds` over the widths and depths of the space (first choice of the
    other factors), plus one `etr.plan.cost.circuit_seconds` per trial (an upper bound: circuit
    units are computed once per distinct circuit).
    """
    space, settings = spec.space, spec.run_settings()
    archs = [Architecture(n_qubits=n, layers=layers, topology=space.topologies[0],
                          rotations=space.rotations[0], entangler=space.entanglers[0],
                          encoding=space.encodings[0])
             for n in range(space.n_qubits[0], space.n_qubits[1] + 1)
             for layers in range(space.layers[0], space.layers[1] + 1)]
    per_run = sum(cell_seconds(a, "hybrid_full", settings) for a in archs) / len(archs)
    per_circuit = sum(circuit_seconds(a, spec.metrics) for a in archs) / len(archs)
    trials = spec.n_trials * len(spec.settings) * spec.search_seeds
    configs = len({s.training_config for s in spec.settings})
    runs = trials * spec.replicates * (configs * spec.search_seeds if trials > spec.n_trials
                                       else 1)
    return Estimate(runs=runs, circuits=trials, cpu_seconds=per_run * runs
                    + per_circuit * trials, exact=False)


def check_nas_outputs(spec: NasSpec, spec_path: str | None, out: str | Path,
                      data: str | Path | None, *, force: bool = False) -> tuple[Path, Path]:
    """The report and dataset paths, checked before any work: suffixes, free space, not an input
    (the spec file, the storage file) nor each other, not existing unless `force` (also the
    claims table `claims_path`); the spec within `etr.plan.limits.LIMITS` unless `force`; the
    storage opens.

    Raises
    ------
    etr.errors.InputError
        The first problem, naming the option (``--out``, ``--data``).
    """
    out = Path(out)
    data_path = out.with_suffix(".parquet") if data is None else Path(data)
    check_limits(trials=spec.n_trials, qubit_layers=(spec.space.n_qubits[1],
                                                     spec.space.layers[1]), force=force)
    inputs = []
    if spec_path is not None:
        inputs.append(("SPEC.toml", Path(spec_path)))
    if storage_path(spec.storage) is not None:
        inputs.append(("--storage", Path(storage_path(spec.storage))))
    check_outputs([Output("--out", out, (".html", ".htm"), size=_REPORT_BYTES),
                   Output("--data", data_path, size=_DATA_BYTES),
                   Output("--out (claims table)", claims_path(out), (".csv",),
                          size=_CLAIMS_BYTES)], inputs, force=force)
    check_format(data_path, option="--data")
    open_storage(spec.storage)  # the storage opens (after the outputs: nothing created before)
    return out, data_path


def run_command(spec: NasSpec, out: str | Path, *, data: str | Path | None = None,
                spec_path: str | None = None, workers: int | None = 1,
                scheduler: str | None = None, force: bool = False,
                evaluator: Evaluator | None = None,
                progress: Callable[[str, int, int], None] | None = None,
                ) -> tuple[NasResult, Path, Path]:
    """Run the searches, write the trials dataset, the claims table and the HTML report.

    Outputs are checked (`check_nas_outputs`) and locked before the search starts and written
    atomically after it. Returns the result, the report path and the dataset path (default:
    `out` with suffix ``.parquet``); the claims table goes to `claims_path` of `out`.
    """
    from etr.dataset import write_dataset
    from etr.nas.report import nas_report
    from etr.report import sha256_file, sha256_text, write_report

    out, data_path = check_nas_outputs(spec, spec_path, out, data, force=force)
    claims = claims_path(out)
    outputs = [Output("--out", out), Output("--data", data_path),
               Output("--out (claims table)", claims)]
    with lock_outputs(outputs):
        result = run_nas(spec, evaluator=evaluator, workers=workers, scheduler=scheduler,
                         progress=progress)
        frame, prov = trials_dataset(result)
        write_dataset(frame, data_path, provenance=prov)
        with atomic_write(claims, newline="") as fh:
            fh.write(claims_csv(result))
        html = nas_report(result, provenance={
            "spec_sha256": sha256_text(str(spec.source)),
            "dataset_sha256": sha256_file(data_path),
            "dataset": str(data_path),
            "claims_table": str(claims),
            "root_seed": spec.root_seed,
            "seconds_per_evaluation": round(result.seconds_per_evaluation, 3),
        })
        return result, write_report(html, out), data_path

