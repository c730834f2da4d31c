"""The circuit-level columns of a dataset row: one record per distinct circuit (`pqc_id`).

Expressibility (frame potential, Sim et al. KL and its width-scaled variant), entangling
capability and the theory columns are properties of the trainable PQC alone (no data encoding, no
classical parts), so the runner computes them once per distinct circuit and shares them with every
architecture, configuration and replicate built on it. Each estimate draws from its own child of
the unit's seed (`numpy.random.SeedSequence.spawn`), so adding or changing one never moves another.

Theory columns use the pure-PQC readout observable O = mean_q Z_q and the initial state |0...0>:
``dla_dim`` (dimension of the dynamical Lie algebra), ``predicted_loss_var`` (Ragone et al. 2024
deep-circuit Var_theta <O>, NaN where the formula does not apply, with the reason in
``theory_note``), ``loss_var`` (the measured Var_theta <O> over uniform random theta) and
``qfim_rank`` (rank of the quantum Fisher information at random theta).
"""

from __future__ import annotations

import numpy as np

from etr.circuits import Ansatz
from etr.contract import CIRCUIT_COLUMNS

__all__ = ["CIRCUIT_COLUMNS", "circuit_record"]

def circuit_record(
    ansatz: Ansatz,
    *,
    seed: int,
    n_states: int = 5000,
    n_pairs: int = 1000,
    bins: int = 75,
    ec_samples: int = 200,
    loss_samples: int = 2000,
    qfim_samples: int = 3,
) -> dict[str, object]:
    """Every circuit-level column of one distinct circuit.

    Parameters
    ----------
    ansatz : the trainable PQC (``Architecture.ansatz()``).
    seed : the unit's seed; five child seeds drive the five estimates.
    n_states : states of the frame-potential U-statistic (`etr.metrics.frame_potential`).
    n_pairs, bins : fidelity pairs and bins of the Sim et al. KL (`etr.metrics.expressibility`).
    ec_samples : parameter samples of the entangling capability.
    loss_samples : parameter samples of the measured loss variance.
    qfim_samples : parameter samples of the QFIM rank (the maximum rank is reported).

    Returns
    -------
    dict
        Keys `etr.contract.CIRCUIT_COLUMNS`.

    Examples
    --------
    >>> from etr.circuits import hardware_efficient
    >>> rec = circuit_record(hardware_efficient(2, 1), seed=1, n_states=200, n_pairs=100,
    ...                      ec_samples=20, loss_samples=50)
    >>> rec["dla_dim"], rec["qfim_rank"]
    (6.0, 4.0)
    """
    from etr.metrics import entangling_capability, expressibility, frame_potential
    from etr.theory import (
        lie_algebra,
        measured_loss_variance,
        predicted_variance,
        qfim_rank,
        readout_observable,
    )

    s_fp, s_kl, s_ec, s_loss, s_qfim = (np.random.default_rng(s)
                                        for s in np.random.SeedSequence(seed).spawn(5))
    fp = frame_potential(ansatz, n_states=n_states, seed=s_fp)
    kl = expressibility(ansatz, n_pairs=n_pairs, bins=bins, seed=s_kl, details=True)
    ec = entangling_capability(ansatz, n_samples=ec_samples, seed=s_ec)
    obs = readout_observable(ansatz.n_qubits)
    algebra = lie_algebra(ansatz)
    predicted = predicted_variance(ansatz, obs)
    measured = measured_loss_variance(ansatz, obs, n_samples=loss_samples, seed=s_loss)
    rank = qfim_rank(ansatz, n_samples=qfim_samples, seed=s_qfim) if ansatz.n_params else None
    return {
        "expressibility_fp": float(fp.ratio),
        "expressibility_fp_ci_low": float(fp.ratio_ci_low),
        "expressibility_fp_ci_high": float(fp.ratio_ci_high),
        "expressibility_eps": float(fp.eps),
        "expressibility_kl": float(kl.kl),
        "expressibility_kl_corrected": float(kl.kl_corrected),
        "expressibility_kl_ci_low": float(kl.ci_low),
        "expressibility_kl_ci_high": float(kl.ci_high),
        "expressibility_kl_scaled": float(kl.kl_scaled_corrected),
        "entangling_capability": float(ec),
        "dla_dim": float("nan") if algebra.dim is None else float(algebra.dim),
        "predicted_loss_var": float(predicted.value),
        "loss_var": float(measured.value),
        "qfim_rank": float("nan") if rank is None else float(rank.rank),
        "theory_note": predicted.reason or None,
    }
