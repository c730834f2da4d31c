"""Run every ``benchmarks/bench_*.py`` module's ``main()`` in name order (``make bench``)."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Run all benchmark modules, or only those whose name contains one of `argv`."""
    wanted = sys.argv[1:] if argv is None else argv
    for path in sorted(HERE.glob("bench_*.py")):
        if wanted and not any(w in path.stem for w in wanted):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        t0 = time.perf_counter()
        module.main()
        print(f"[{path.stem}: {time.perf_counter() - t0:.1f} s]\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
