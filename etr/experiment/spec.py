"""Experiment specs: TOML in, a validated immutable `Spec` out, and back to commented TOML.

Layout of a spec (every key optional; defaults below and in `FIELD_DOCS`)::

    root_seed = 2026                 # all randomness derives from it
    seeds = 3                        # replicate count (0, 1, 2) or a list of replicate numbers
    configs = ["pure_pqc", "hybrid_quantum_only", "hybrid_full"]
    definitions = ["grad_var", ...]  # trainability definitions to compute

    [grid]                           # shared by every family
    encoding = ["ry"]
    reupload = [false]
    classical_pre = ["none"]
    classical_post = ["8-tanh"]

    [grid.hea]                       # hardware-efficient family (omit the table to skip it)
    n_qubits = [2, 4]
    layers = [1, 2]
    topology = ["linear", "ring"]
    rotations = ["RY+RZ"]
    entangler = ["CZ"]

    [grid.sim]                       # Sim et al. 2019 library circuits (omit to skip)
    circuits = ["sim2", "sim11"]
    n_qubits = [4]
    layers = [1]

    [metrics]                        # circuit-level metric sample sizes
    n_pairs = 1000
    bins = 75
    ec_samples = 200

    [training]                       # fields of etr.hybrid.RunSettings (task, steps, ...)
    steps = 30
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from etr._validation import check_choice, check_int
from etr.circuits import ENCODINGS, ENTANGLERS, ROTATIONS, SIM_CIRCUITS, TOPOLOGIES
from etr.contract import PQC_CONFIGS, TRAINABILITY_DEFINITIONS, TRAINING_CONFIGS
from etr.errors import InputError, SpecError

__all__ = [
    "FIELD_DOCS",
    "MAX_QUBITS",
    "PRESETS",
    "GridSpec",
    "HeaGrid",
    "MetricSpec",
    "SimGrid",
    "Spec",
    "load_spec",
    "preset_spec",
    "preset_text",
]

PRESETS: tuple[str, ...] = ("quick", "paper")

#: Largest qubit count accepted. A statevector takes 16 * 2**n bytes (16 MiB at n = 20) and the
#: circuit metrics evaluate batches of a few hundred states (256 states at n = 20: 4 GiB).
MAX_QUBITS = 20
_BATCH = 256

_TOP_KEYS = ("root_seed", "seeds", "configs", "definitions", "grid", "metrics", "training")
_GRID_KEYS = ("encoding", "reupload", "classical_pre", "classical_post", "hea", "sim")
_HEA_KEYS = ("n_qubits", "layers", "topology", "rotations", "entangler")
_SIM_KEYS = ("circuits", "n_qubits", "layers")
_METRIC_KEYS = ("n_pairs", "bins", "ec_samples")
#: training keys documented here; any other field of etr.hybrid.RunSettings is accepted too.
_TRAINING_DOCS: dict[str, str] = {
    "task": "learning task, one of etr.hybrid.tasks.TASKS; default 'synthetic'",
    "n_train": "training set size; default 200",
    "n_test": "test set size; default 200",
    "n_init": "K, random initialisations per run (variances are across them); default 16",
    "steps": "T, Adam steps per initialisation; default 100",
    "learning_rate": "Adam step size; default 0.05",
    "batch_size": "mini-batch size; 'none' = full batch (default)",
    "ed_data_size": "n of the effective dimension (Abbas et al. 2021); default 1000",
    "ed_weight_samples": "parameter samples for the effective dimension; default 16",
    "n_features": "task features; 'none' = the encoding width",
    "readout_scale": "fixed scale s of the pure_pqc readout logit = s * mean <Z>",
}

FIELD_DOCS: dict[str, str] = {
    "root_seed": "root of every seed (numpy SeedSequence entropy); default 2026",
    "seeds": "replicates: a count n (replicates 0..n-1) or a list of replicate numbers; default 3",
    "configs": f"training configurations, subset of {list(TRAINING_CONFIGS)}; default all",
    "definitions": "trainability definitions to compute, subset of "
    f"{list(TRAINABILITY_DEFINITIONS)}; default all",
    "grid.encoding": f"data encodings, subset of {list(ENCODINGS)}; default ['ry']",
    "grid.reupload": "re-upload the encoding before every layer: [false], [true] or both",
    "grid.classical_pre": "classical pre-networks: 'none' or widths-activation e.g. '8-tanh'; "
    "default ['none']",
    "grid.classical_post": "classical post-networks (same syntax); default ['8-tanh']",
    "grid.hea.n_qubits": f"qubit counts (1..{MAX_QUBITS}); default [2, 4]",
    "grid.hea.layers": "layer counts (>= 1); default [1, 2]",
    "grid.hea.topology": f"entangler topologies, subset of {list(TOPOLOGIES)}; default ['linear']",
    "grid.hea.rotations": f"rotation sets, '+'-joined subsets of {list(ROTATIONS)}; "
    "default ['RY+RZ']",
    "grid.hea.entangler": f"two-qubit gates, subset of {list(ENTANGLERS)}; default ['CZ']",
    "grid.sim.circuits": "Sim et al. 2019 circuits 'sim1'..'sim19'; no default (required)",
    "grid.sim.n_qubits": f"qubit counts (2..{MAX_QUBITS}); default [4]",
    "grid.sim.layers": "layer counts (>= 1); default [1]",
    "metrics.n_pairs": "parameter pairs for expressibility (Sim et al. use 5000); default 1000",
    "metrics.bins": "fidelity histogram bins for expressibility (Sim et al. use 75); default 75",
    "metrics.ec_samples": "parameter samples for entangling capability; default 200",
    **{f"training.{k}": v for k, v in _TRAINING_DOCS.items()},
}


def _err(key: str, msg: str) -> SpecError:
    return SpecError(f"`{key}` {msg}")


def _check_keys(where: str, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        name = f"{where}.{unknown[0]}" if where else unknown[0]
        raise SpecError(f"unknown key `{name}`; allowed {('in [' + where + ']') if where else ''}"
                        f"{' ' if where else ''}keys: {', '.join(allowed)}")


def _as_list(key: str, value: Any) -> list:
    """A scalar is a one-element list; lists must be non-empty and duplicate-free."""
    values = list(value) if isinstance(value, list | tuple) else [value]
    if not values:
        raise _err(key, "must not be empty")
    if len(set(map(repr, values))) != len(values):
        raise _err(key, f"has duplicates: {values}")
    return values


def _ints(key: str, value: Any, *, low: int, high: int | None = None) -> tuple[int, ...]:
    out = []
    for v in _as_list(key, value):
        try:
            out.append(check_int(key, v, minimum=low, maximum=high))
        except InputError as exc:
            raise SpecError(str(exc)) from None
    return tuple(out)


def _choices(key: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    out = _as_list(key, value)
    for v in out:
        try:
            check_choice(key, v, allowed)
        except InputError as exc:
            raise SpecError(str(exc)) from None
    return tuple(out)


def _strings(key: str, value: Any) -> tuple[str, ...]:
    out = _as_list(key, value)
    for v in out:
        if not isinstance(v, str):
            raise _err(key, f"must hold strings, got {v!r}")
    return tuple(out)


def check_qubits(key: str, n_qubits: int) -> None:
    """Refuse qubit counts above `MAX_QUBITS`, stating the memory a state and a batch need."""
    if n_qubits > MAX_QUBITS:
        per_state = 16 * 2**n_qubits
        raise _err(
            key,
            f"value {n_qubits} exceeds the safe bound of {MAX_QUBITS} qubits: a statevector takes "
            f"16*2^n bytes ({_fmt_bytes(per_state)} at n={n_qubits}) and metrics use batches of "
            f"{_BATCH} states ({_fmt_bytes(per_state * _BATCH)}); at the bound: 16 MiB per "
            f"state, 4 GiB per batch",
        )


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@dataclass(frozen=True, slots=True)
class HeaGrid:
    """Hardware-efficient factors (see `FIELD_DOCS`, keys ``grid.hea.*``)."""

    n_qubits: tuple[int, ...] = (2, 4)
    layers: tuple[int, ...] = (1, 2)
    topology: tuple[str, ...] = ("linear",)
    rotations: tuple[str, ...] = ("RY+RZ",)
    entangler: tuple[str, ...] = ("CZ",)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HeaGrid:
        _check_keys("grid.hea", d, _HEA_KEYS)
        kw: dict[str, Any] = {}
        if "n_qubits" in d:
            kw["n_qubits"] = _ints("grid.hea.n_qubits", d["n_qubits"], low=1)
        if "layers" in d:
            kw["layers"] = _ints("grid.hea.layers", d["layers"], low=1)
        if "topology" in d:
            kw["topology"] = _choices("grid.hea.topology", d["topology"], TOPOLOGIES)
        if "rotations" in d:
            rots = _strings("grid.hea.rotations", d["rotations"])
            for r in rots:
                for part in r.split("+"):
                    _choices("grid.hea.rotations", part, ROTATIONS)
            kw["rotations"] = rots
        if "entangler" in d:
            kw["entangler"] = _choices("grid.hea.entangler", d["entangler"], ENTANGLERS)
        grid = cls(**kw)
        for n in grid.n_qubits:
            check_qubits("grid.hea.n_qubits", n)
        return grid


@dataclass(frozen=True, slots=True)
class SimGrid:
    """Sim et al. 2019 library circuits (see `FIELD_DOCS`, keys ``grid.sim.*``)."""

    circuits: tuple[str, ...]
    n_qubits: tuple[int, ...] = (4,)
    layers: tuple[int, ...] = (1,)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SimGrid:
        _check_keys("grid.sim", d, _SIM_KEYS)
        if "circuits" not in d:
            raise _err("grid.sim.circuits", "is required when [grid.sim] is present")
        allowed = tuple(f"sim{i}" for i in SIM_CIRCUITS)
        kw: dict[str, Any] = {"circuits": _choices("grid.sim.circuits", d["circuits"], allowed)}
        if "n_qubits" in d:
            kw["n_qubits"] = _ints("grid.sim.n_qubits", d["n_qubits"], low=2)
        if "layers" in d:
            kw["layers"] = _ints("grid.sim.layers", d["layers"], low=1)
        grid = cls(**kw)
        for n in grid.n_qubits:
            check_qubits("grid.sim.n_qubits", n)
        return grid


@dataclass(frozen=True, slots=True)
class GridSpec:
    """The architecture grid: families and the factors they share (keys ``grid.*``)."""

    hea: HeaGrid | None = field(default_factory=HeaGrid)
    sim: SimGrid | None = None
    encoding: tuple[str, ...] = ("ry",)
    reupload: tuple[bool, ...] = (False,)
    classical_pre: tuple[str, ...] = ("none",)
    classical_post: tuple[str, ...] = ("8-tanh",)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GridSpec:
        from etr.hybrid.architecture import parse_classical

        _check_keys("grid", d, _GRID_KEYS)
        kw: dict[str, Any] = {}
        if "hea" in d or "sim" in d:
            kw["hea"] = HeaGrid.from_dict(_table("grid.hea", d["hea"])) if "hea" in d else None
            kw["sim"] = SimGrid.from_dict(_table("grid.sim", d["sim"])) if "sim" in d else None
        if "encoding" in d:
            kw["encoding"] = _choices("grid.encoding", d["encoding"], ENCODINGS)
        if "reupload" in d:
            vals = _as_list("grid.reupload", d["reupload"])
            if not all(isinstance(v, bool) for v in vals):
                raise _err("grid.reupload", f"must hold true/false, got {vals}")
            kw["reupload"] = tuple(vals)
        for key in ("classical_pre", "classical_post"):
            if key in d:
                vals = _strings(f"grid.{key}", d[key])
                for v in vals:
                    try:
                        parse_classical(v, f"grid.{key}")
                    except InputError as exc:
                        raise SpecError(str(exc)) from None
                kw[key] = vals
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """Sample sizes of the circuit-level metrics (keys ``metrics.*``)."""

    n_pairs: int = 1000
    bins: int = 75
    ec_samples: int = 200

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MetricSpec:
        _check_keys("metrics", d, _METRIC_KEYS)
        kw = {}
        for key, low in (("n_pairs", 10), ("bins", 2), ("ec_samples", 1)):
            if key in d:
                try:
                    kw[key] = check_int(f"metrics.{key}", d[key], minimum=low)
                except InputError as exc:
                    raise SpecError(str(exc)) from None
        return cls(**kw)


def _table(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _err(key, f"must be a table, got {value!r}")
    return value


def _run_settings_cls() -> type:
    # imported on use: `etr simulate --print-spec` and spec validation need no simulation stack
    from etr.hybrid.run import RunSettings

    return RunSettings


def _training_keys() -> tuple[str, ...]:
    names = [f.name for f in dataclasses.fields(_run_settings_cls())]
    return tuple(n for n in names if n != "definitions")


def _optional_fields() -> set[str]:
    """`RunSettings` fields whose default is None (written as ``"none"`` in TOML)."""
    return {f.name for f in dataclasses.fields(_run_settings_cls()) if f.default is None}


@dataclass(frozen=True, slots=True)
class Spec:
    """A validated experiment spec: grid x training configurations x seeds.

    Parameters
    ----------
    root_seed : root of all seeds (default 2026).
    seeds : replicate numbers (default ``(0, 1, 2)``; a count ``n`` in TOML means ``0..n-1``).
    configs : training configurations (default all of `etr.contract.TRAINING_CONFIGS`).
    definitions : trainability definitions (default all of
        `etr.contract.TRAINABILITY_DEFINITIONS`).
    grid : `GridSpec` (families and shared factors).
    metrics : `MetricSpec` (expressibility pairs and bins, entangling-capability samples).
    training : overrides of `etr.hybrid.RunSettings` fields, as sorted ``(key, value)`` pairs;
        unspecified fields keep the `RunSettings` defaults.

    Every key, its default and allowed values are listed in `FIELD_DOCS` and in the comments
    of ``etr simulate --preset quick --print-spec``.

    Examples
    --------
    >>> spec = load_spec('seeds = [4, 7]\\n[grid.hea]\\nn_qubits = 2\\nlayers = [1, 2]')
    >>> spec.seeds, spec.grid.hea.layers
    ((4, 7), (1, 2))
    """

    root_seed: int = 2026
    seeds: tuple[int, ...] = (0, 1, 2)
    configs: tuple[str, ...] = PQC_CONFIGS
    definitions: tuple[str, ...] = TRAINABILITY_DEFINITIONS
    grid: GridSpec = field(default_factory=GridSpec)
    metrics: MetricSpec = field(default_factory=MetricSpec)
    training: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Spec:
        """Validate a parsed TOML mapping (unknown keys and bad values raise `SpecError`)."""
        _check_keys("", d, _TOP_KEYS)
        kw: dict[str, Any] = {}
        if "root_seed" in d:
            try:
                kw["root_seed"] = check_int("root_seed", d["root_seed"], minimum=0)
            except InputError as exc:
                raise SpecError(str(exc)) from None
        if "seeds" in d:
            s = d["seeds"]
            if isinstance(s, int) and not isinstance(s, bool):
                kw["seeds"] = tuple(range(_ints("seeds", s, low=1)[0]))
            else:
                kw["seeds"] = _ints("seeds", s, low=0)
        if "configs" in d:
            kw["configs"] = _choices("configs", d["configs"], TRAINING_CONFIGS)
        if "definitions" in d:
            kw["definitions"] = _choices("definitions", d["definitions"],
                                         TRAINABILITY_DEFINITIONS)
        if "grid" in d:
            kw["grid"] = GridSpec.from_dict(_table("grid", d["grid"]))
        if "metrics" in d:
            kw["metrics"] = MetricSpec.from_dict(_table("metrics", d["metrics"]))
        if "training" in d:
            training = _table("training", d["training"])
            _check_keys("training", training, _training_keys())
            optional = _optional_fields()
            kw["training"] = tuple(sorted(
                (k, None if (k in optional and v == "none") else v) for k, v in training.items()
            ))
        spec = cls(**kw)
        if spec.grid.hea is None and spec.grid.sim is None:
            raise _err("grid", "needs at least one family table: [grid.hea] or [grid.sim]")
        spec.run_settings()  # validates the training values
        return spec

    def run_settings(self) -> Any:
        """The `etr.hybrid.RunSettings` of every run (training overrides + definitions)."""
        cls = _run_settings_cls()
        try:
            return cls(**dict(self.training), definitions=tuple(self.definitions))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, SpecError):
                raise
            raise SpecError(f"[training]: {str(exc).splitlines()[0]}") from None

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """Plain TOML-ready mapping; with `full`, training lists every `RunSettings` field."""
        grid: dict[str, Any] = {
            k: list(getattr(self.grid, k))
            for k in ("encoding", "reupload", "classical_pre", "classical_post")
        }
        if self.grid.hea is not None:
            grid["hea"] = {k: list(v) for k, v in dataclasses.asdict(self.grid.hea).items()}
        if self.grid.sim is not None:
            grid["sim"] = {k: list(v) for k, v in dataclasses.asdict(self.grid.sim).items()}
        training = dict(self.training)
        if full:
            settings = self.run_settings()
            training = {
                f.name: _plain(getattr(settings, f.name))
                for f in dataclasses.fields(settings) if f.name != "definitions"
            }
        return {
            "root_seed": self.root_seed,
            "seeds": list(self.seeds),
            "configs": list(self.configs),
            "definitions": list(self.definitions),
            "grid": grid,
            "metrics": dataclasses.asdict(self.metrics),
            "training": training,
        }

    def spec_hash(self) -> str:
        """16-hex-digit hash of the canonical full spec (recorded in journals and datasets)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_toml(self) -> str:
        """The full spec as TOML, every key preceded by a comment with its meaning and default.

        ``load_spec(spec.to_toml()) == spec`` up to `training` holding every field explicitly.
        """
        return _commented_toml(self.to_dict())


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if value is None:
        return "none"
    return value


def _toml_value(value: Any) -> str:
    """One TOML value on one line (lists of scalars inline)."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"x": value}).split("=", 1)[1].strip()


def _commented_toml(d: dict[str, Any]) -> str:
    lines = ["# etr experiment spec (etr simulate SPEC.toml --out data/NAME.parquet)", ""]

    def emit(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                continue
            doc = FIELD_DOCS.get(f"{prefix}{key}", "see etr.hybrid.RunSettings")
            lines.append(f"# {doc}")
            lines.append(f"{key} = {_toml_value(value)}")
        for key, value in table.items():
            if isinstance(value, dict):
                lines.extend(["", f"[{prefix}{key}]"])
                emit(f"{prefix}{key}.", value)

    emit("", d)
    return "\n".join(lines) + "\n"


def load_spec(source: str | os.PathLike[str]) -> Spec:
    """Parse and validate a spec from a TOML file path or TOML text.

    Parameters
    ----------
    source : a path to a ``.toml`` file, or the TOML text itself (anything containing a newline
        or ``=`` that is not an existing file).

    Raises
    ------
    etr.errors.SpecError
        Missing file, malformed TOML (with line and column), unknown keys (named, with the
        allowed keys), bad values (named, with what is allowed).

    Examples
    --------
    >>> load_spec("root_seed = 1").root_seed
    1
    >>> load_spec("seeds = [1, 1]")
    Traceback (most recent call last):
    ...
    etr.errors.SpecError: `seeds` has duplicates: [1, 1]
    """
    text, origin = _read_source(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"malformed TOML in {origin}: {_located(str(exc), text)}") from None
    return Spec.from_dict(data)


def _located(message: str, text: str) -> str:
    """tomllib says "at end of document" for some errors: give its line and column instead."""
    if "(at end of document)" in message:
        lines = text.split("\n")
        where = f"(at line {len(lines)}, column {len(lines[-1]) + 1}: end of document)"
        message = message.replace("(at end of document)", where)
    return message


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except OSError:  # e.g. a name too long for the file system
        return False


def _read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    if isinstance(source, str) and ("\n" in source or ("=" in source and not _is_file(source))):
        return source, "spec text"
    path = Path(source)
    if not path.is_file():
        raise SpecError(f"spec file `{path}` does not exist")
    try:
        return path.read_text(encoding="utf-8"), f"`{path}`"
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec file `{path}`: {exc}") from None


def preset_text(name: str) -> str:
    """The TOML text (with comments) of an embedded preset."""
    try:
        check_choice("preset", name, PRESETS)
    except InputError as exc:
        raise SpecError(str(exc)) from None
    return importlib.resources.files("etr.experiment").joinpath(
        f"presets/{name}.toml"
    ).read_text(encoding="utf-8")


def preset_spec(name: str) -> Spec:
    """An embedded preset: ``"quick"`` (demo, minutes on 2 cores) or ``"paper"`` (full study).

    Examples
    --------
    >>> preset_spec("quick").configs
    ('pure_pqc', 'hybrid_quantum_only', 'hybrid_full')
    """
    return load_spec(preset_text(name))

