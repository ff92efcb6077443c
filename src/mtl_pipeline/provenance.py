"""Content hashes of inputs: what the shard store keys models by and what every output carries
to say which inputs it was made from (Kedro-free, imports nothing of the project).

These values are stored (shard store keys, provenance columns of curves and features): a change
of what they produce for the same input invalidates every stored model and output, so
``tests/test_provenance.py`` pins a few of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp


def update_with_array(h: hashlib._Hash, arr: np.ndarray) -> None:
    """Feed an array to a hash: its dtype and shape, then its bytes (C order)."""
    arr = np.ascontiguousarray(arr)
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(memoryview(arr).cast("B"))


def features_fingerprint(features: object) -> str:
    """Content hash of a feature matrix (scipy.sparse or dense array); the order in which a
    sparse row stores its entries does not count."""
    h = hashlib.sha256()
    if sp.issparse(features):
        csr = sp.csr_matrix(features, copy=True)
        csr.sum_duplicates()  # also sorts the indices (of the copy)
        h.update(b"csr")
        h.update(str(csr.shape).encode())
        for part in (csr.data, csr.indices, csr.indptr):
            update_with_array(h, part)
    else:
        h.update(b"dense")
        update_with_array(h, np.asarray(features))
    return h.hexdigest()


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a table (column names, dtypes and values, row order included)."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    update_with_array(h, pd.util.hash_pandas_object(frame, index=False).to_numpy())
    return h.hexdigest()[:16]


def mapping_fingerprint(values: Mapping[str, object]) -> str:
    """Hash of a parameter mapping (keys sorted), e.g. the training parameters of a node."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
