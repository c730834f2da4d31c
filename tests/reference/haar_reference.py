"""Reference values for the expressibility tests, from an independent route.

Haar bin masses by numerical integration (scipy.integrate.quad) of the Haar fidelity density
P(F) = (N - 1)(1 - F)^(N - 2), N = 2^n, and the idle-circuit KL (N - 1) ln(bins) with math.log.
Run ``python tests/reference/haar_reference.py`` to regenerate ``haar_reference.json``.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
from scipy.integrate import quad


def haar_masses_quad(n_qubits: int, bins: int) -> list[float]:
    dim = 2**n_qubits
    edges = np.linspace(0.0, 1.0, bins + 1)
    return [quad(lambda f: (dim - 1) * (1 - f) ** (dim - 2), a, b, epsabs=1e-15, epsrel=1e-13)[0]
            for a, b in itertools.pairwise(edges)]


def main() -> None:
    out = {
        "haar_masses": {f"{n}q_{b}bins": haar_masses_quad(n, b) for n, b in
                        [(1, 75), (2, 10), (3, 75), (4, 20)]},
        "idle_kl": {f"{n}q_75bins": (2**n - 1) * math.log(75) for n in (1, 2, 4)},
    }
    path = Path(__file__).with_name("haar_reference.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
