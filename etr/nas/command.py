"""What ``etr nas`` does, kept out of `etr.cli` so the CLI stays a thin parser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from etr.errors import SpecError
from etr.nas.evaluate import Evaluator
from etr.nas.objectives import Setting
from etr.nas.run import NasResult, run_nas, trials_dataset
from etr.nas.spec import NasSpec, load_nas_spec, nas_preset

__all__ = ["DEFAULT_COMPARE", "build_spec", "run_command"]

DEFAULT_COMPARE: tuple[Setting, ...] = (
    Setting("hybrid_quantum_only", "grad_var"),
    Setting("hybrid_full", "grad_var"),
    Setting("hybrid_full", "loss_decrease"),
)


def build_spec(spec_path: str | None, preset: str | None, *, trials: int | None = None,
               storage: str | None = None, training_config: str | None = None,
               trainability: str | None = None, compare: bool = False,
               objectives: str | None = None, seed: int | None = None,
               sampler: str | None = None) -> NasSpec:
    """The spec a command line describes: a file or preset, then the options' overrides.

    ``--training-config`` / ``--trainability`` select one setting (the other defaults to the
    spec's first setting); ``--compare`` runs the spec's ``compare`` list, or the default
    comparison (quantum-only vs end-to-end training, ``grad_var`` vs ``loss_decrease``).
    """
    if spec_path is not None and preset is not None:
        raise SpecError("give either a SPEC file or `--preset`, not both")
    if spec_path is not None:
        spec = load_nas_spec(spec_path)
    else:
        spec = nas_preset(preset or "quick")
    changes: dict = {}
    if trials is not None:
        changes["n_trials"] = trials
    if storage is not None:
        changes["storage"] = storage
    if seed is not None:
        changes["seed"] = seed
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
    return spec.replace(**changes) if changes else spec


def run_command(spec: NasSpec, out: str | Path, *, data: str | Path | None = None,
                workers: int = 1, scheduler: str | None = None,
                evaluator: Evaluator | None = None,
                progress: Callable[[str, int, int], None] | None = None,
                ) -> tuple[NasResult, Path, Path]:
    """Run the searches, write the trials dataset (Parquet) and the HTML report.

    Returns the result, the report path and the dataset path (default: `out` with suffix
    ``.parquet``).
    """
    from etr.experiment import write_dataset
    from etr.nas.report import nas_report
    from etr.report import sha256_file, sha256_text, write_report

    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise SpecError(f"`--out` must be an .html file, got {str(out)!r}")
    data_path = out.with_suffix(".parquet") if data is None else Path(data)
    data_path.parent.mkdir(parents=True, exist_ok=True)
    result = run_nas(spec, evaluator=evaluator, workers=workers, scheduler=scheduler,
                     progress=progress)
    frame, prov = trials_dataset(result)
    write_dataset(frame, data_path, provenance=prov)
    html = nas_report(result, provenance={
        "spec_sha256": sha256_text(str(spec.source)),
        "dataset_sha256": sha256_file(data_path),
        "dataset": str(data_path),
        "root_seed": spec.seed,
        "seconds_per_evaluation": round(result.seconds_per_evaluation, 3),
    })
    return result, write_report(html, out), data_path
