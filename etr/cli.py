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
