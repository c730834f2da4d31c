"""What ``etr simulate`` does, kept out of `etr.cli` so the CLI stays a thin parser."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from etr._outputs import Output, check_outputs
from etr._validation import check_int
from etr.dataset import check_format
from etr.errors import SpecError
from etr.experiment.runner import _BYTES_PER_RUN, _RESUME_HINT, ExperimentResult, run_experiment
from etr.experiment.size import check_spec_limits, estimate
from etr.experiment.spec import PRESETS, Spec, load_spec, preset_spec

__all__ = ["build_spec", "run_command", "spec_text"]


def build_spec(spec_path: str | None, preset: str | None, *, seed: int | None = None) -> Spec:
    """The spec a command line describes: a file or an embedded preset, then ``--seed``.

    Raises
    ------
    etr.errors.SpecError
        Neither or both of a file and a preset, a bad spec, a negative seed.

    Examples
    --------
    >>> build_spec(None, "quick", seed=5).root_seed
    5
    >>> build_spec(None, None)
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: give either a SPEC.toml file or --preset NAME (quick, ...)
    """
    if (spec_path is None) == (preset is None):
        raise SpecError("give either a SPEC.toml file or --preset NAME "
                        f"({', '.join(PRESETS)})")
    spec = preset_spec(preset) if preset is not None else load_spec(spec_path)
    if seed is not None:
        spec = dataclasses.replace(spec, root_seed=check_int("seed", seed, minimum=0,
                                                             error=SpecError))
    return spec


def spec_text(spec: Spec, workers: int) -> str:
    """The full spec as commented TOML, headed by its size and estimated run time."""
    return spec.to_toml((f"# {estimate(spec).describe(workers)}",))


def run_command(spec: Spec, out: str | Path, *, spec_path: str | None = None,
                workers: int | None = None, scheduler: str | None = None,
                resume: bool = False, force: bool = False, quiet: bool = False,
                fmt: str | None = None) -> ExperimentResult:
    """Check the outputs and the limits before any work, then run `spec` into `out`.

    The checks name the command line's options (``--out``, ``--format``, ``SPEC.toml``); the
    limits themselves live in `etr.experiment.size` and `etr.plan.limits`.

    Raises
    ------
    etr.errors.SpecError
        ``--resume`` with ``--force``, a spec beyond the limits (without `force`), an output
        that cannot be written, a suffix that is not the format; then what `run_experiment`
        raises.
    """
    if resume and force:
        raise SpecError("`--resume` and `--force` exclude each other")
    bounds = check_spec_limits(spec, force=force)
    check_outputs([Output("--out", Path(out), size=_BYTES_PER_RUN * bounds.runs)],
                  [("SPEC.toml", Path(spec_path))] if spec_path else [], force=force or resume,
                  hint=_RESUME_HINT)
    check_format(out, fmt, option="--out", fmt_name="--format")
    return run_experiment(spec, out, workers=workers, scheduler=scheduler, resume=resume,
                          force=force, quiet=quiet, fmt=fmt)
