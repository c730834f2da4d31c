"""`short_hash`: the one way etr turns content into a short, stable hex id.

Every id in a dataset or a journal (``pqc_id``, ``architecture_id``, ``cell_id``, spec hashes, the
configuration hash of a stored search) is a prefix of the SHA-256 of a canonical text, so equal
content gives equal ids on every machine and Python version. The canonical text of a string is the
string itself; of anything else, compact JSON with sorted keys (non-JSON values through `str`).
"""

from __future__ import annotations

import hashlib
import json

__all__ = ["canonical_json", "short_hash"]


def canonical_json(value: object) -> str:
    """Compact JSON with sorted keys; values JSON cannot hold are written with `str`.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def short_hash(value: object, length: int = 16) -> str:
    """The first `length` hex digits of the SHA-256 of `value`'s canonical text.

    Parameters
    ----------
    value : a string (hashed as its UTF-8 bytes) or any JSON-like value (hashed as
        `canonical_json`).
    length : number of hex digits, 1..64 (12 for content ids, 16 for spec and cell hashes).

    Examples
    --------
    >>> short_hash("abc", 12)
    'ba7816bf8f01'
    >>> short_hash({"x": 1, "y": 2}) == short_hash({"y": 2, "x": 1})
    True
    """
    text = value if isinstance(value, str) else canonical_json(value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
