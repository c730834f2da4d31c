"""Output paths: one rule, checked before work; atomic writes; lock files."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etr._outputs import (
    Output,
    WriteError,
    atomic_write,
    check_outputs,
    lock_outputs,
    output_lock,
)
from etr.errors import InputError


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_an_output_may_not_be_an_input_even_with_force(tmp_path):
    data = tmp_path / "d.parquet"
    data.write_bytes(b"data")
    os.symlink(data, tmp_path / "link.parquet")
    for path in (data, tmp_path / "link.parquet", tmp_path / "sub" / ".." / "d.parquet"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(InputError, match=r"`--out` .* is the input DATA; choose another"):
            check_outputs([Output("--out", path, (".html",))], [("DATA", data)], force=True)
    assert data.read_bytes() == b"data"


def test_two_outputs_may_not_be_one_file(tmp_path):
    with pytest.raises(InputError, match="`--out` and `--data` name the same file"):
        check_outputs([Output("--data", tmp_path / "m.html"), Output("--out", tmp_path / "m.html")])


def test_existing_outputs_need_force_with_one_message(tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    with pytest.raises(InputError, match=r"`--json` .*r.html already exists; pass --force to "
                                         r"overwrite it$"):
        check_outputs([Output("--json", out)])
    check_outputs([Output("--json", out)], force=True)
    figs = tmp_path / "figs"
    figs.mkdir()
    check_outputs([Output("--figures", figs, folder=True)])  # empty: fine
    (figs / "a.png").write_bytes(b"x")
    with pytest.raises(InputError, match=r"`--figures` .* already exists and is not empty"):
        check_outputs([Output("--figures", figs, folder=True)])


@pytest.mark.parametrize(("path", "match"), [
    ("missing/r.html", "output directory `.*missing` does not exist"),
    ("r.txt", r"`--out` .*r.txt must end in .html or .htm"),
])
def test_folder_and_suffix(tmp_path, path, match):
    with pytest.raises(InputError, match=match):
        check_outputs([Output("--out", tmp_path / path, (".html", ".htm"))])


def test_a_read_only_folder_is_found_by_writing(tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("etr._outputs.tempfile.mkstemp", refuse)
    with pytest.raises(InputError, match=r"is not writable \(Read-only file system\)"):
        check_outputs([Output("--out", tmp_path / "r.html")])


def test_free_space_is_checked(tmp_path, monkeypatch):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr("etr._outputs.shutil.disk_usage",
                        lambda p: usage._replace(free=1 << 20))
    with pytest.raises(InputError, match=r"only 1.0 MiB free .* need about 9.0 MiB"):
        check_outputs([Output("--out", tmp_path / "r.html", size=8 << 20),
                       Output("--json", tmp_path / "r.json", size=1 << 20)])


def test_atomic_write_replaces_only_on_success(tmp_path):
    p = tmp_path / "r.json"
    p.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(p) as fh:
        fh.write("new but")
        raise RuntimeError("cut")
    assert p.read_text() == "old" and _debris(tmp_path) == []
    with atomic_write(p) as fh:
        fh.write("new")
    assert p.read_text() == "new" and _debris(tmp_path) == []
    assert (p.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_a_full_disk_leaves_no_debris_and_no_empty_file(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("etr._outputs.os.fsync", full)
    with pytest.raises(WriteError, match=r"cannot write `.*r.json`: No space left on device; "
                                         r"nothing was written") as info, \
            atomic_write(tmp_path / "r.json") as fh:
        fh.write("x" * 1000)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "r.json").exists() and _debris(tmp_path) == []


HOLD = """
import sys, time
from etr._outputs import output_lock
with output_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_writer_is_refused_naming_the_first_and_a_dead_ones_lock_is_taken(tmp_path):
    out = tmp_path / "d.parquet"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(InputError, match=rf"`.*d.parquet` is being written by pid "
                                             rf"{holder.pid} on .* since 20"):
            with output_lock(out):
                pass
    finally:
        holder.kill()  # SIGKILL: the lock file stays behind
        holder.wait()
    assert (tmp_path / "d.parquet.lock").exists()
    with output_lock(out):  # a dead process's lock is taken over
        with output_lock(out):  # re-entrant within one process
            assert (tmp_path / "d.parquet.lock").exists()
    assert not (tmp_path / "d.parquet.lock").exists()


def test_locks_are_released_on_errors(tmp_path):
    outs = [Output("--out", tmp_path / "a.html"), Output("--json", tmp_path / "a.json")]
    with pytest.raises(KeyboardInterrupt), lock_outputs(outs):
        assert len(list(tmp_path.glob("*.lock"))) == 2
        raise KeyboardInterrupt
    assert list(tmp_path.glob("*.lock")) == []
    with lock_outputs(outs):  # free again
        pass
