"""Append-only JSONL journal: one line per finished unit, flushed and fsynced as it completes.

The journal of output ``data/x.parquet`` lives in ``data/x.parquet.journal/journal.jsonl``. Its
first line is a header with the spec hash; every other line is a finished circuit-metric unit
(``{"kind": "circuit", "key": ..., "values": {...}}``) or cell (``{"kind": "cell", "key": ...,
"values": {...}}``). Floats round-trip exactly through JSON (``repr``), NaN included, so a dataset
assembled from a replayed journal is identical to one assembled from live results.

A line cut short by a kill (SIGKILL while writing) is ignored on replay; the unit is recomputed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from etr import __version__
from etr._outputs import WriteError
from etr.errors import SpecError

__all__ = ["Journal", "journal_dir"]

_FILE = "journal.jsonl"


def journal_dir(out: str | os.PathLike[str]) -> Path:
    """Directory of the journal that belongs to output file `out`."""
    out = Path(out)
    return out.with_name(out.name + ".journal")


class Journal:
    """An open journal; use `Journal.open` and `append`, then `close` (or a ``with`` block)."""

    def __init__(self, path: Path, done: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.path = path
        self.done = done
        self._fh = open(path, "a", encoding="utf-8")  # closed in close()

    @staticmethod
    def read(directory: Path, spec_hash: str) -> dict[tuple[str, str], dict[str, Any]]:
        """The finished units of the journal in `directory` (none if there is no journal),
        without opening it for writing.

        Raises
        ------
        etr.errors.SpecError
            A journal written for a different spec.
        """
        path = directory / _FILE
        if not path.is_file():
            return {}
        header, done = _replay(path)
        if header.get("spec_hash") != spec_hash:
            raise SpecError(
                f"cannot resume: journal `{path}` was written for spec "
                f"{header.get('spec_hash')}, this spec is {spec_hash}; use --force to "
                "start over"
            )
        return done

    @classmethod
    def open(cls, directory: Path, spec_hash: str, *, resume: bool) -> Journal:
        """Create a fresh journal, or replay an existing one when `resume` is true.

        Raises
        ------
        etr.errors.SpecError
            Resuming a journal written for a different spec.
        """
        path = directory / _FILE
        if resume and path.is_file():
            done = cls.read(directory, spec_hash)
            _truncate_partial_line(path)
            return cls(path, done)
        done: dict[tuple[str, str], dict[str, Any]] = {}
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        journal = cls(path, done)
        journal._write({"kind": "header", "spec_hash": spec_hash, "etr_version": __version__})
        return journal

    def append(self, kind: str, key: str, values: dict[str, Any]) -> None:
        """Record a finished unit durably (write, flush, fsync)."""
        self.done[(kind, key)] = values
        self._write({"kind": kind, "key": key, "values": values})

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        return self.done.get((kind, key))

    def _write(self, record: dict[str, Any]) -> None:
        try:
            self._fh.write(json.dumps(record, sort_keys=True, allow_nan=True) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:  # e.g. a full disk: a cut line is ignored on replay
            raise WriteError(f"cannot write journal `{self.path}`: {exc.strerror or exc}; "
                             "the units recorded before are kept (free space, then "
                             "--resume)") from None

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _replay(path: Path) -> tuple[dict[str, Any], dict[tuple[str, str], dict[str, Any]]]:
    header: dict[str, Any] = {}
    done: dict[tuple[str, str], dict[str, Any]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # cut short by a kill: recompute that unit
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if rec.get("kind") == "header":
                header = rec
            elif "key" in rec and "values" in rec:
                done[(rec["kind"], rec["key"])] = rec["values"]
    return header, done


def _truncate_partial_line(path: Path) -> None:
    """Drop a trailing line without newline so appends start on a fresh line."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)
