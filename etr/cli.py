"""Command-line interface: parses, validates, calls one library function, maps errors.

Exit codes: 0 success, 2 bad input (one line naming the bad field), 1 internal error.
Set ``ETR_DEBUG=1`` to see the traceback of an internal error.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from etr import __version__
from etr.errors import EtrError

__all__ = ["main"]


class BadInput(click.ClickException):
    """A user error: printed as one line, exit code 2."""

    exit_code = 2


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map `EtrError`/`ValueError` to exit 2 and anything unexpected to a one-line exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (EtrError, ValueError) as exc:
            raise BadInput(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        except KeyboardInterrupt:
            click.echo("interrupted; finished work is kept (use --resume where offered)", err=True)
            sys.exit(130)
        except Exception as exc:  # pragma: no cover - exercised via a CLI test
            if os.environ.get("ETR_DEBUG"):
                raise
            msg = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(f"Error: internal error ({type(exc).__name__}: {msg}); "
                       "rerun with ETR_DEBUG=1 for a traceback", err=True)
            sys.exit(1)

    return wrapper


quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress bar or log lines (errors are still printed)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="etr")
def main() -> None:
    """etr: expressibility vs trainability of parameterized quantum circuits, alone and inside
    hybrid classical-quantum networks."""


# --- circuits -------------------------------------------------------------------------------


@main.command()
@click.option("--show", "show", metavar="NAME",
              help="Print the gates of one circuit: sim1..sim19 or hea.")
@click.option("-n", "--n-qubits", "n_qubits", type=int, default=4, show_default=True)
@click.option("-L", "--layers", type=int, default=1, show_default=True)
@click.option("--topology", default="linear", show_default=True, help="For hea.")
@click.option("--rotations", default="RY+RZ", show_default=True, help="For hea, e.g. RX+RY.")
@click.option("--entangler", default="CZ", show_default=True, help="For hea.")
@handle_errors
def circuits(show: str | None, n_qubits: int, layers: int, topology: str, rotations: str,
             entangler: str) -> None:
    """List circuit families, topologies and library circuits, or --show one."""
    from etr.circuits import (
        ENCODINGS,
        ENTANGLERS,
        ROTATIONS,
        SIM_CIRCUITS,
        TOPOLOGIES,
        hardware_efficient,
        sim_circuit,
    )

    if show is None:
        click.echo("families:   hea (hardware-efficient), sim (Sim et al. 2019 library)")
        click.echo(f"topologies: {', '.join(TOPOLOGIES)}")
        click.echo(f"rotations:  {', '.join(ROTATIONS)} (any combination, e.g. RY+RZ)")
        click.echo(f"entanglers: {', '.join(ENTANGLERS)}")
        click.echo(f"encodings:  {', '.join(ENCODINGS)}")
        click.echo("library circuits (4 qubits, one layer):")
        for i in SIM_CIRCUITS:
            a = sim_circuit(i)
            click.echo(f"  sim{i:<3d} {a.n_params:3d} params  {a.n_entanglers:2d} two-qubit gates"
                       f"  depth {a.depth()}")
        return
    name = show.lower()
    if name == "hea":
        ansatz = hardware_efficient(n_qubits, layers, topology=topology, rotations=rotations,
                                    entangler=entangler)
    elif name.startswith("sim"):
        ansatz = sim_circuit(name, n_qubits=n_qubits, layers=layers)
    else:
        raise BadInput(f"`--show` must be 'hea' or one of sim1..sim19, got {show!r}")
    click.echo(ansatz.summary())
    click.echo(ansatz.draw())


# --- simulate -------------------------------------------------------------------------------


@main.command()
@click.argument("spec_path", metavar="[SPEC.toml]", required=False,
                type=click.Path(dir_okay=False))
@click.option("--preset", metavar="NAME", help="Embedded spec instead of a file: quick or paper.")
@click.option("--out", "-o", "out", type=click.Path(dir_okay=False),
              help="Dataset to write, e.g. data/NAME.parquet (.csv for CSV).")
@click.option("--workers", "-j", type=int, default=None,
              help="Local worker processes [default: all cores]; 1 runs in-process.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a dask.distributed cluster, e.g. tcp://10.0.0.5:8786.")
@click.option("--resume", is_flag=True, help="Continue from the journal next to --out.")
@click.option("--force", is_flag=True, help="Discard an existing output and journal.")
@click.option("--format", "fmt", default=None, help="parquet or csv [default: from the suffix].")
@click.option("--print-spec", is_flag=True,
              help="Print the full spec as commented TOML (a start for your own) and exit.")
@quiet_option
@handle_errors
def simulate(spec_path: str | None, preset: str | None, out: str | None, workers: int | None,
             scheduler: str | None, resume: bool, force: bool, fmt: str | None,
             print_spec: bool, quiet: bool) -> None:
    """Sweep architectures x training configurations x seeds and write the metric dataset.

    Exit codes: 0 all cells ok, 1 some cells failed (listed; the dataset is still written and
    `--resume` retries them), 2 bad input (nothing computed).
    """
    from etr.experiment import load_spec, preset_spec, run_experiment

    if (spec_path is None) == (preset is None):
        raise BadInput("give either a SPEC.toml file or --preset NAME (quick, paper)")
    spec = preset_spec(preset) if preset is not None else load_spec(spec_path)
    if print_spec:
        click.echo(spec.to_toml(), nl=False)
        return
    if out is None:
        raise BadInput("`--out` is required, e.g. --out data/NAME.parquet")
    if resume and force:
        raise BadInput("`--resume` and `--force` exclude each other")
    result = run_experiment(spec, out, workers=workers, scheduler=scheduler, resume=resume,
                            force=force, quiet=quiet, fmt=fmt)
    if not quiet:
        click.echo(f"wrote {result.path}: {result.n_cells} runs ({result.n_computed} computed, "
                   f"{result.n_failed} failed) in {result.wall_time_s:.1f} s", err=True)
    if result.failures:
        click.echo(f"{result.n_failed} cell(s) failed (rerun with --resume to retry):", err=True)
        for cell_id, error in result.failures:
            click.echo(f"  {cell_id}: {error}", err=True)
        raise click.exceptions.Exit(1)


# --- nas ------------------------------------------------------------------------------------


@main.command()
@click.argument("spec_path", metavar="[SPEC.toml]", required=False,
                type=click.Path(dir_okay=False))
@click.option("--preset", type=click.Choice(["quick"]), help="Built-in spec (default: quick).")
@click.option("--out", "out", required=True, metavar="PATH.html", help="HTML report to write.")
@click.option("--data", "data", metavar="PATH.parquet",
              help="Trials dataset to write (default: --out with suffix .parquet).")
@click.option("--trials", type=int, help="Trials per setting (a total: a resumed study continues).")
@click.option("--storage", metavar="URL",
              help="Optuna storage, e.g. sqlite:///nas.db, to resume after an interruption "
                   "(default: in memory).")
@click.option("--training-config", "training_config",
              help="Search under this training configuration only.")
@click.option("--trainability", help="Trainability definition to maximise (single setting).")
@click.option("--compare", is_flag=True,
              help="Search under several settings and compare the fronts.")
@click.option("--objectives", metavar="A,B,...",
              help="e.g. expressibility,trainability,accuracy,n_params")
@click.option("--seed", type=int, help="Root seed.")
@click.option("--sampler", help="nsga2, tpe or random.")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Local worker processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address.")
@quiet_option
@handle_errors
def nas(spec_path: str | None, preset: str | None, out: str, data: str | None,
        trials: int | None, storage: str | None, training_config: str | None,
        trainability: str | None, compare: bool, objectives: str | None, seed: int | None,
        sampler: str | None, workers: int, scheduler: str | None, quiet: bool) -> None:
    """Multi-objective architecture search over the joint classical-quantum design space."""
    from etr.nas.command import build_spec, run_command

    spec = build_spec(spec_path, preset, trials=trials, storage=storage,
                      training_config=training_config, trainability=trainability,
                      compare=compare, objectives=objectives, seed=seed, sampler=sampler)
    show = not quiet and sys.stderr.isatty() and not os.environ.get("CI")

    def progress(setting: str, done: int, total: int) -> None:
        if show:
            click.echo(f"{setting}: {done}/{total} trials", err=True)

    result, report, data_path = run_command(spec, out, data=data, workers=workers,
                                            scheduler=scheduler, progress=progress)
    if not quiet:
        for r in result.results:
            click.echo(f"{r.setting.label}: {len(r.trials)} trials, "
                       f"{len(r.pareto_ids)} Pareto-optimal architectures")
        click.echo(f"{result.n_evaluations} evaluations, "
                   f"{result.seconds_per_evaluation:.2f} s per architecture")
        click.echo(f"wrote {report} and {data_path}")


# --- analyze --------------------------------------------------------------------------------


def _csv_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@main.command()
@click.argument("data", metavar="DATA.parquet", type=click.Path(dir_okay=False))
@click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False),
              help="HTML report to write, e.g. reports/NAME.html.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write every result as JSON here.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "csv"]),
              default=("html",), show_default=True,
              help="csv also writes each table as <out>.<table>.csv next to the report.")
@click.option("--figures", "figures_dir", type=click.Path(file_okay=False),
              help="Export every chart as PNG and SVG into this folder.")
@click.option("--n-boot", type=int, default=1000, show_default=True,
              help="Bootstrap resamples (cluster bootstrap over architectures).")
@click.option("--seed", type=int, default=0, show_default=True, help="Root seed of the analysis.")
@click.option("--confidence", type=float, default=0.95, show_default=True,
              help="Confidence level of every interval.")
@click.option("--definitions", callback=_csv_list, metavar="LIST",
              help="Comma-separated trainability definitions [default: all present].")
@click.option("--configs", callback=_csv_list, metavar="LIST",
              help="Comma-separated training configurations [default: all present].")
@quiet_option
@handle_errors
def analyze(data: str, out: str, json_path: str | None, formats: tuple[str, ...],
            figures_dir: str | None, n_boot: int, seed: int, confidence: float,
            definitions: list[str] | None, configs: list[str] | None, quiet: bool) -> None:
    """Analyse a dataset and write a self-contained HTML report (works offline).

    Exit codes: 0 report written, 2 unusable input (not a dataset, missing columns, empty).
    """
    from etr.report import analyze_to_report

    progress = None if quiet else (lambda label: click.echo(f"  {label}...", err=True))
    result = analyze_to_report(data, out, json_path=json_path, formats=formats,
                               figures_dir=figures_dir, n_boot=n_boot, seed=seed,
                               confidence=confidence, definitions=definitions, configs=configs,
                               progress=progress)
    if not quiet:
        for note in result.results.notes:
            click.echo(f"note: {note}", err=True)
        extra = [str(p) for p in (result.json,) if p is not None]
        extra += [f"{len(result.tables)} CSV tables"] if result.tables else []
        extra += [f"{len(result.figures)} figure files"] if result.figures else []
        click.echo(f"wrote {result.html}" + (f" ({', '.join(extra)})" if extra else ""),
                   err=True)
