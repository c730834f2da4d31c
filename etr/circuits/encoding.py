"""Data encodings: circuits whose parameter slots are filled by input features (angles).

An encoded model circuit puts the encoding's input slots first (0..n_inputs-1) and the trainable
slots after them, so one parameter vector ``[inputs, weights]`` evaluates the model on one data
point. With data re-uploading the encoding is repeated before every trainable block, reusing the
same input slots (Pérez-Salinas et al. 2020).
"""

from __future__ import annotations

from collections.abc import Sequence

from etr._validation import check_choice, check_int
from etr.circuits.ansatz import Ansatz
from etr.errors import InputError

__all__ = ["ENCODINGS", "encoded_circuit", "encoding_circuit", "encoding_width"]

ENCODINGS: tuple[str, ...] = ("rx", "ry", "hrz", "ryrz")


def encoding_width(n_qubits: int, encoding: str) -> int:
    """Number of input angles the encoding takes on `n_qubits` qubits."""
    check_choice("encoding", encoding, ENCODINGS)
    return 2 * n_qubits if encoding == "ryrz" else n_qubits


def encoding_circuit(n_qubits: int, encoding: str = "ry") -> Ansatz:
    """The encoding alone; its slots are the input angles.

    Examples
    --------
    >>> encoding_circuit(3, "hrz").n_params
    3
    """
    n = check_int("n_qubits", n_qubits, minimum=1)
    check_choice("encoding", encoding, ENCODINGS)
    gates: list[tuple] = []
    for q in range(n):
        if encoding == "rx":
            gates.append(("RX", q))
        elif encoding == "ry":
            gates.append(("RY", q))
        elif encoding == "hrz":
            gates += [("H", q), ("RZ", q)]
        else:
            gates += [("RY", q), ("RZ", q)]
    return Ansatz.from_gates(n, gates, name=f"enc-{encoding}")


def encoded_circuit(
    blocks: Sequence[Ansatz], encoding: str = "ry", *, reupload: bool = False
) -> tuple[Ansatz, int]:
    """Encoding followed by trainable `blocks` (e.g. one per layer).

    Returns
    -------
    (circuit, n_inputs)
        Slots 0..n_inputs-1 are the input angles; the trainable slots follow in block order.
        With ``reupload=True`` the encoding precedes every block, sharing the input slots.
    """
    if not blocks:
        raise InputError("`blocks` must hold at least one trainable circuit")
    n = blocks[0].n_qubits
    enc = encoding_circuit(n, encoding)
    n_inputs = enc.n_params
    circuit = enc
    offset = n_inputs
    for i, block in enumerate(blocks):
        if block.n_qubits != n:
            raise InputError("all blocks must act on the same number of qubits")
        if reupload and i > 0:
            circuit = circuit.then(enc, shift=False)
        circuit = circuit.then(block.shifted(offset), shift=False)
        offset += block.n_params
    name = f"{blocks[0].name}+{encoding}" + ("+reupload" if reupload else "")
    return Ansatz(n, circuit.gates, name=name, meta=blocks[0].meta), n_inputs
