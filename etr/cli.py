"""Command-line interface: parses, validates, calls one library function, maps errors.

Exit codes: 0 success, 2 bad input (one line naming the bad field, also for usage errors),
1 internal error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); interrupted or terminated,
finished work is kept. Set ``ETR_DEBUG=1`` to see the traceback of an internal error.

Options shared by several commands are one decorator each and mean the same everywhere:
``-o/--out`` (the main output), ``-j/--workers`` (local worker processes, default all usable
cores), ``--seed`` (the root seed of all randomness), ``--preset`` (a choice of embedded specs),
``--force`` (replace existing outputs; simulate and nas: also run specs beyond the size limits),
``-q/--quiet``; each command's help says what its ``--force`` replaces and what ``--quiet``
leaves out. The ``etr`` executable enters through `etr._start` (signals handled from the first
moment).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from etr import __version__
from etr._signals import Terminated, sigterm_as_interrupt
from etr._validation import cut, neutralise
from etr.errors import EtrError

__all__ = ["main"]

#: longest error line printed (a safety net: values are already cut where they are echoed)
_MESSAGE_LIMIT = 400


class BadInput(click.ClickException):
    """A user error: printed as one line, exit code 2."""

    exit_code = 2


def _one_line(text: str) -> str:
    """The first line of a message, cut, with format and control characters from data (a
    right-to-left override in a label) shown as escapes."""
    return cut(neutralise(text.splitlines()[0] if text else ""), _MESSAGE_LIMIT)


#: exit code of a command whose output pipe was closed (128 + SIGPIPE, as a shell reports it)
_SIGPIPE_EXIT = 141


def handle_errors(interrupted: Callable[[dict[str, Any]], str]) -> Callable:
    """Map `EtrError` to exit 2, an interrupt to its message and 130 (SIGTERM: 143), anything
    else to a one-line exit 1. `interrupted(kwargs)` says what was kept."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                with sigterm_as_interrupt():
                    return func(*args, **kwargs)
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except EtrError as exc:
                raise BadInput(_one_line(str(exc)) or type(exc).__name__) from None
            except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                sys.exit(_SIGPIPE_EXIT)
            except KeyboardInterrupt as exc:
                what = "terminated" if isinstance(exc, Terminated) else "interrupted"
                click.echo(f"{what}; {neutralise(interrupted(kwargs))}", err=True)
                sys.exit(Terminated.exit_code if isinstance(exc, Terminated) else 130)
            except Exception as exc:  # a bug: one line, exit 1
                if os.environ.get("ETR_DEBUG"):
                    raise
                click.echo(f"Error: internal error ({type(exc).__name__}: "
                           f"{_one_line(str(exc))}); rerun with ETR_DEBUG=1 for a traceback",
                           err=True)
                sys.exit(1)

        return wrapper

    return decorate


class _Group(click.Group):
    """A group whose usage errors (unknown option, missing value ...) are one line, exit 2."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"Error: {_one_line(exc.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


# --- shared options ---------------------------------------------------------------------------


def out_option(help: str) -> Callable:
    """``-o/--out PATH``: the command's main output."""
    return click.option("-o", "--out", "out", type=click.Path(dir_okay=False), metavar="PATH",
                        help=help)


workers_option = click.option(
    "-j", "--workers", type=int, default=None, metavar="N",
    help="Local worker processes [default: all usable cores]; 1 runs in this process.")
def quiet_option(help: str) -> Callable:
    """``-q/--quiet``: no progress lines; `help` says what else the command leaves out."""
    return click.option("-q", "--quiet", is_flag=True, help=help)


def force_option(help: str) -> Callable:
    """``--force``: replace existing outputs; `help` names them (and the size limits, for the
    commands that have them)."""
    return click.option("--force", is_flag=True, help=help)
scheduler_option = click.option(
    "--scheduler", metavar="ADDRESS",
    help="Run on a dask.distributed cluster, e.g. tcp://10.0.0.5:8786 (then -j is ignored).")


def seed_option(help: str, default: int | None = None) -> Callable:
    """``--seed S``: the root seed of all randomness of the command."""
    return click.option("--seed", type=int, default=default, show_default=default is not None,
                        metavar="S", help=help)


class RegistryChoice(click.Choice):
    """A choice among the names of a registry (``module:attribute``, e.g. the presets of
    `etr.experiment.spec.PRESETS`), read when the option is parsed or its help shown, so the
    CLI repeats no list and ``import etr.cli`` stays light."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        module, attribute = self.source.split(":")
        return tuple(getattr(importlib.import_module(module), attribute))


def preset_option(source: str, help: str) -> Callable:
    """``--preset NAME``: an embedded spec, one of the registry `source` (``module:attribute``)."""
    return click.option("--preset", type=RegistryChoice(source), help=help)


def _need_out(out: str | None, example: str) -> str:
    if out is None:
        raise BadInput(f"`--out` is required, e.g. --out {example}")
    return out


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="etr")
def main() -> None:
    """etr: expressibility vs trainability of parameterized quantum circuits, alone and inside
    hybrid classical-quantum networks."""


# --- circuits -------------------------------------------------------------------------------


@main.command()
@click.option("--show", "show", metavar="NAME",
              help="Print the gates of one circuit: sim1..sim19 or hea.")
@click.option("-n", "--n-qubits", "n_qubits", type=int, default=4, show_default=True,
              help="Qubits of the circuit --show prints.")
@click.option("-L", "--layers", type=int, default=1, show_default=True,
              help="Layers of the circuit --show prints.")
@click.option("--topology", default="linear", show_default=True, help="For hea.")
@click.option("--rotations", default="RY+RZ", show_default=True, help="For hea, e.g. RX+RY.")
@click.option("--entangler", default="CZ", show_default=True, help="For hea.")
@handle_errors(lambda kw: "nothing to keep")
def circuits(show: str | None, n_qubits: int, layers: int, topology: str, rotations: str,
             entangler: str) -> None:
    """List circuit families, topologies and library circuits, or --show one.

    Exit codes: 0 ok, 2 bad input.
    """
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
    names = ("hea", *(f"sim{i}" for i in SIM_CIRCUITS))
    name = show.lower()
    if name not in names:
        raise BadInput(f"`--show` must be 'hea' or one of sim1..sim19, got {cut(repr(show))}")
    if name == "hea":
        ansatz = hardware_efficient(n_qubits, layers, topology=topology, rotations=rotations,
                                    entangler=entangler)
    else:
        ansatz = sim_circuit(name, n_qubits=n_qubits, layers=layers)
    click.echo(ansatz.summary())
    click.echo(_lie_algebra_line(ansatz))
    click.echo(ansatz.draw())


def _lie_algebra_line(ansatz: Any) -> str:
    """One line on the circuit's dynamical Lie algebra (`etr.theory.lie_algebra`)."""
    from etr.theory import lie_algebra

    g = lie_algebra(ansatz)
    if g.dim is None:
        return f"dynamical Lie algebra: {g.reason}"
    kind = f"su(2^{g.n_qubits}), universal" if g.is_universal else (
        "simple ideals of dimension " + ", ".join(map(str, g.components))
        + (f", center of dimension {g.center_dim}" if g.center_dim else ""))
    return f"dynamical Lie algebra: dim g = {g.dim} ({kind})"


# --- simulate -------------------------------------------------------------------------------


def _simulate_interrupted(kw: dict[str, Any]) -> str:
    return (f"finished runs are kept in the journal of {kw.get('out')}: rerun with --resume "
            "to continue")


@main.command()
@click.argument("spec_path", metavar="[SPEC.toml]", required=False,
                type=click.Path(dir_okay=False))
@preset_option("etr.experiment.spec:PRESETS", "Embedded spec instead of a file.")
@out_option("Dataset to write, e.g. data/NAME.parquet (.csv for CSV).")
@workers_option
@scheduler_option
@click.option("--resume", is_flag=True, help="Continue from the journal next to --out.")
@force_option("Start over: replace an existing dataset and its journal; also run a spec beyond "
              "the size limits (runs, replicates, circuit size, CPU time, memory per unit).")
@click.option("--format", "fmt", type=RegistryChoice("etr.dataset:FORMATS"),
              help="Dataset format; must agree with the suffix of --out [default: from it].")
@seed_option("Root seed (replaces the spec's root_seed).")
@click.option("--print-spec", is_flag=True,
              help="Print the full spec as commented TOML, with its size and estimated run "
                   "time, and exit.")
@quiet_option("No size, estimate or progress lines (errors and failed cells are still "
              "printed).")
@handle_errors(_simulate_interrupted)
def simulate(spec_path: str | None, preset: str | None, out: str | None, workers: int | None,
             scheduler: str | None, resume: bool, force: bool, fmt: str | None,
             seed: int | None, print_spec: bool, quiet: bool) -> None:
    """Sweep architectures x training configurations x seeds and write the metric dataset.

    Prints the number of runs and the estimated run time first (not with --quiet).

    Exit codes: 0 all cells ok, 1 some cells failed (listed; the dataset is still written and
    --resume retries them), 2 bad input (nothing computed), 130/143 interrupted/terminated
    (finished cells kept: --resume continues).
    """
    from etr.experiment.command import build_spec, run_command, spec_text
    from etr.parallel import default_workers

    spec = build_spec(spec_path, preset, seed=seed)
    if print_spec:
        click.echo(spec_text(spec, default_workers() if workers is None else workers), nl=False)
        return
    out = _need_out(out, "data/NAME.parquet")
    result = run_command(spec, out, spec_path=spec_path, workers=workers, scheduler=scheduler,
                         resume=resume, force=force, quiet=quiet, fmt=fmt)
    if not quiet:
        click.echo(f"wrote {result.path}: {result.n_cells} runs ({result.n_computed} computed, "
                   f"{result.n_failed} failed) in {result.wall_time_s:.1f} s", err=True)
    if result.failures:
        click.echo(f"{result.n_failed} cell(s) failed (rerun with --resume to retry):", err=True)
        for cell_id, error in result.failures:
            click.echo(f"  {cell_id}: {_one_line(str(error))}", err=True)
        raise click.exceptions.Exit(1)


# --- plan -----------------------------------------------------------------------------------


@main.group()
def plan() -> None:
    """Plan a study before running it (power of its design)."""


def power_table(spec: Any, data_path: str) -> str:
    """The power table of a spec's design, from the variance components of a dataset (the text
    ``etr plan power`` prints and the presets' headers quote)."""
    from etr.analysis.power import Design, circuits_needed, components, power
    from etr.dataset import read_dataset
    from etr.experiment.size import design_shape, estimate

    shape = design_shape(spec)
    design = Design(cells=shape.cells, tasks=shape.tasks, instances=shape.instances,
                    instances_per_circuit=shape.instances_per_circuit, seeds=shape.seeds,
                    pre_networks=shape.pre_networks)
    comp = components(read_dataset(data_path))
    res = power(design, comp).to_frame()
    hours = estimate(spec).cpu_seconds / 3600
    lines = [f"design: {design.circuits} distinct circuits in {len(design.cells)} width-depth "
             f"cells, {design.tasks} task(s) x {design.instances} instances "
             f"({design.instances_per_circuit} per circuit), {design.seeds} replicate(s); "
             f"~{hours:.1f} CPU-hours",
             f"variance components from {data_path} ({comp.source})",
             f"{'claim':<24}{'definition':<20}{'truth':>7}  {'target':<13}{'se':>7}"
             f"{'power':>7}{'bonf.':>7}"]
    for row in res.itertuples():
        lines.append(f"{row.claim:<24}{row.definition:<20}{row.truth:>7.3f}  {row.target:<13}"
                     f"{row.se:>7.3f}{row.power:>7.2f}{row.power_bonferroni:>7.2f}")
    for row in res.itertuples():
        if row.power >= 0.8:
            continue
        need = circuits_needed(design, comp, row.claim)
        lines.append(f"{row.claim}: 80% power needs " + (
            f"~{need} circuits (~{hours * need / design.circuits:.1f} CPU-hours at this "
            "design's cost per circuit)" if need is not None else
            f"more than {64 * design.circuits} circuits: the spread between task instances "
            "(or the noise) dominates, more circuits do not reach it"))
    return "\n".join(lines) + "\n"


@plan.command("power")
@click.argument("spec_path", metavar="[SPEC.toml]", required=False,
                type=click.Path(dir_okay=False))
@preset_option("etr.experiment.spec:PRESETS", "Embedded spec [default: quick].")
@click.option("--data", "data_path", default="data/quick.parquet", show_default=True,
              type=click.Path(dir_okay=False),
              help="Dataset whose variance components (noise ratio, instance spread, r) the "
                   "power is computed from.")
@handle_errors(lambda kw: "nothing was computed")
def power_command(spec_path: str | None, preset: str | None, data_path: str) -> None:
    """Power of a spec's design to reach each primary claim's verdict (etr.analysis.power).

    Exit codes: 0 table printed, 2 bad input.
    """
    import warnings

    from etr.errors import DegenerateDataWarning
    from etr.experiment.command import build_spec

    spec = build_spec(spec_path, preset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        click.echo(power_table(spec, data_path), nl=False)


# --- nas ------------------------------------------------------------------------------------


def _nas_interrupted(kw: dict[str, Any]) -> str:
    if kw.get("storage"):
        return (f"finished trials are kept in --storage {kw['storage']}: rerun the same "
                "command to continue the search")
    return ("the search ran in memory and is lost; pass --storage sqlite:///NAME.db to make a "
            "search resumable")


@main.command()
@click.argument("spec_path", metavar="[SPEC.toml]", required=False,
                type=click.Path(dir_okay=False))
@preset_option("etr.nas.spec:PRESETS",
               "Embedded spec [default: quick when no SPEC.toml is given].")
@out_option("HTML report to write, e.g. reports/NAME.html.")
@click.option("--data", "data", metavar="PATH",
              help="Trials dataset to write, .parquet or .csv [default: --out with suffix "
                   ".parquet].")
@click.option("--trials", type=int,
              help="Trials per search (a total: a resumed study continues).")
@click.option("--storage", metavar="URL",
              help="Optuna storage, e.g. sqlite:///nas.db: keeps every trial, so rerunning "
                   "the same command after an interruption continues the search.")
@click.option("--training-config", "training_config",
              help="Search under this training configuration only.")
@click.option("--trainability",
              help="Trainability definition to optimise, in its registry direction (single "
                   "setting).")
@click.option("--compare", is_flag=True,
              help="Search under several settings and compare the fronts.")
@click.option("--objectives", metavar="A,B,...",
              help="e.g. expressibility,trainability,accuracy,n_params")
@seed_option("Root seed (replaces the spec's root_seed).")
@click.option("--sampler", type=RegistryChoice("etr.nas.search:SAMPLERS"),
              help="Optuna sampler [default: the spec's, nsga2].")
@workers_option
@scheduler_option
@force_option("Replace an existing report, trials dataset and claims table; also run a spec "
              "beyond the size limits (trials per setting, circuit size).")
@quiet_option("No estimate, progress or summary lines (errors are still printed).")
@handle_errors(_nas_interrupted)
def nas(spec_path: str | None, preset: str | None, out: str | None, data: str | None,
        trials: int | None, storage: str | None, training_config: str | None,
        trainability: str | None, compare: bool, objectives: str | None, seed: int | None,
        sampler: str | None, workers: int | None, scheduler: str | None, force: bool,
        quiet: bool) -> None:
    """Multi-objective architecture search over the joint classical-quantum design space.

    Every setting is searched with the spec's search_seeds (default 2) and every architecture
    trained under its replicates (default 2); the report sets the distance between the fronts
    of two settings beside that between two seeds of one setting, and OUT's stem.claims.csv
    holds those distances for etr.analysis.evaluate_claims.

    Exit codes: 0 report, dataset and claims table written, 2 bad input (nothing computed),
    130/143 interrupted/terminated (with --storage, finished trials are kept: rerun the same
    command to continue).
    """
    from etr.nas.command import (
        build_spec,
        check_nas_outputs,
        claims_path,
        nas_estimate,
        run_command,
    )
    from etr.parallel import default_workers

    out = _need_out(out, "reports/NAME.html")
    spec = build_spec(spec_path, preset, trials=trials, storage=storage,
                      training_config=training_config, trainability=trainability,
                      compare=compare, objectives=objectives, seed=seed, sampler=sampler)
    check_nas_outputs(spec, spec_path, out, data, force=force)
    n_workers = default_workers() if workers is None else workers
    if not quiet:
        est = nas_estimate(spec)
        click.echo(f"{len(spec.settings)} setting(s) x {spec.search_seeds} search seed(s) x "
                   f"{spec.n_trials} trials x {spec.replicates} replicates: up to "
                   f"{est.runs:,} runs; estimated up to {est.cpu_seconds / 60:.1f} CPU-min, "
                   f"~{est.wall_seconds(n_workers) / 60:.1f} min on {n_workers} worker(s)",
                   err=True)
    show = not quiet and sys.stderr.isatty() and not os.environ.get("CI")

    def progress(setting: str, done: int, total: int) -> None:
        if show:
            click.echo(f"{setting}: {done}/{total} trials", err=True)

    result, report, data_path = run_command(spec, out, data=data, spec_path=spec_path,
                                            workers=n_workers, scheduler=scheduler,
                                            force=force, progress=progress)
    if not quiet:
        for r in result.results:
            click.echo(f"{r.label}: {len(r.trials)} trials, "
                       f"{len(r.pareto_ids)} Pareto-optimal architectures")
        click.echo(f"{result.n_evaluations} runs evaluated, "
                   f"{result.seconds_per_evaluation:.2f} s per run")
        click.echo(f"wrote {report}, {data_path} and {claims_path(report)}")


# --- analyze --------------------------------------------------------------------------------


def _csv_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@main.command()
@click.argument("data", metavar="DATA.parquet", type=click.Path(dir_okay=False))
@out_option("HTML report to write, e.g. reports/NAME.html.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), metavar="PATH.json",
              help="Also write every result as JSON here.")
@click.option("--format", "formats", multiple=True,
              type=RegistryChoice("etr.report.build:TABLE_FORMATS"),
              default=("html",), show_default=True,
              help="Formats of the tables: html (in the report) and csv (also each table as "
                   "<out>.<table>.csv next to the report).")
@click.option("--figures", "figures_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Export every chart as PNG and SVG into this folder (new or empty).")
@click.option("--n-boot", type=int, default=1000, show_default=True,
              help="Bootstrap resamples (control gap over task instances; breakpoint "
                   "intervals use at most 200).")
@seed_option("Root seed of the analysis.", default=0)
@click.option("--confidence", type=float, default=None,
              help="1 - alpha: family-wise level of the verdict table (Bonferroni) and of the "
                   "other intervals [default: 1 - the claims file's alpha, 0.95]; a value "
                   "other than the claims file's overrides its alpha (said in the report).")
@click.option("--margin", type=float, default=None,
              help="Equivalence margin (r scale) of 'end-to-end training removes the "
                   "trade-off' and of 'no regime difference' [default: the claims file's, "
                   "0.1]; another value overrides it (said in the report).")
@click.option("--nas", "nas_path", type=click.Path(dir_okay=False), metavar="PATH.csv",
              help="NAS comparison table (<report>.claims.csv written by `etr nas --compare`) "
                   "for the NAS claims; without it they are 'not evaluated'.")
@click.option("--claims", "claims_path", type=click.Path(dir_okay=False),
              metavar="CLAIMS.toml",
              help="A claims file to decide instead of the registered one (the form of "
                   "etr/analysis/claims.toml); its SHA-256 is printed in the report and JSON.")
@click.option("--x", "x", metavar="COLUMN", default=None,
              help="Expressibility measure of every association, e.g. expressibility_kl "
                   "[default: the claims file's, expressibility_fp].")
@click.option("--definitions", callback=_csv_list, metavar="LIST",
              help="Comma-separated trainability definitions [default: all present].")
@click.option("--configs", callback=_csv_list, metavar="LIST",
              help="Comma-separated training configurations [default: all present].")
@workers_option
@force_option("Replace an existing report, JSON, CSV tables and figures.")
@quiet_option("No progress, note or summary lines (errors are still printed).")
@handle_errors(lambda kw: "no report was written")
def analyze(data: str, out: str | None, json_path: str | None, formats: tuple[str, ...],
            figures_dir: str | None, n_boot: int, seed: int, confidence: float | None,
            margin: float | None, nas_path: str | None, claims_path: str | None, x: str | None,
            definitions: list[str] | None, configs: list[str] | None,
            workers: int | None, force: bool, quiet: bool) -> None:
    """Analyse a dataset and write a self-contained HTML report (works offline) that leads
    with the paper's claims as pre-registered tests.

    Prints the dataset's size and the estimated time of the analysis first (not with
    --quiet). -j sets the processes of the bootstrap refits; the results do not depend on it.

    Exit codes: 0 report written (degenerate parts are noted in it), 2 unusable input (not a
    dataset, missing columns, empty, nothing analysable, a bad --nas table) or an output that
    cannot be written (nothing computed), 130/143 interrupted/terminated.
    """
    from etr._outputs import Output, check_outputs, lock_outputs
    from etr.report import analyze_to_report

    out_path = Path(_need_out(out, "reports/NAME.html"))
    outputs = [Output("--out", out_path, (".html", ".htm"), size=16 << 20)]
    if json_path is not None:
        outputs.append(Output("--json", Path(json_path), (".json",), size=4 << 20))
    if figures_dir is not None:
        outputs.append(Output("--figures", Path(figures_dir), folder=True, size=32 << 20))
    inputs = [("DATA", Path(data))] + ([("--nas", Path(nas_path))] if nas_path else [])
    inputs += [("--claims", Path(claims_path))] if claims_path else []
    check_outputs(outputs, inputs, force=force)
    if "csv" in formats and not force:
        existing = sorted(out_path.parent.glob(f"{out_path.stem}.*.csv"))
        if existing:
            raise BadInput(f"`--format csv`: output `{existing[0]}` already exists; pass "
                           "--force to overwrite it")
    progress = None if quiet else (lambda label: click.echo(f"  {neutralise(label)}...",
                                                            err=True))
    announce = None if quiet else (lambda line: click.echo(neutralise(line), err=True))
    with lock_outputs(outputs):
        result = analyze_to_report(data, out_path, json_path=json_path, formats=formats,
                                   figures_dir=figures_dir, n_boot=n_boot, seed=seed,
                                   confidence=confidence, margin=margin, nas_path=nas_path,
                                   definitions=definitions, configs=configs,
                                   progress=progress, announce=announce, workers=workers,
                                   x=x, claims=claims_path)
    if not quiet:
        for note in result.results.notes:
            click.echo(f"note: {neutralise(note)}", err=True)
        extra = [str(p) for p in (result.json,) if p is not None]
        extra += [f"{len(result.tables)} CSV tables"] if result.tables else []
        extra += [f"{len(result.figures)} figure files"] if result.figures else []
        click.echo(f"wrote {result.html}" + (f" ({', '.join(extra)})" if extra else ""),
                   err=True)
