"""The content hashes are stored (shard store keys, provenance columns): pinned to the values
the code gave before it moved to ``mtl_pipeline.provenance``, so a change cannot slip through."""

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.provenance import features_fingerprint, frame_fingerprint, mapping_fingerprint


def test_frame_fingerprint_is_pinned():
    frame = pd.DataFrame(
        {
            "task": ["a vs b", "c vs d", "a vs b"],
            "seed": np.array([0, 1, 2], dtype="int64"),
            "row": np.array([3, 1, 4], dtype="int64"),
            "label": np.array([1, 0, 1], dtype="int64"),
            "w": [0.5, 1.25, -2.0],
        }
    )
    assert frame_fingerprint(frame) == "a5b69841e3ec9f98"


def test_mapping_fingerprint_is_pinned():
    values = {
        "epochs": 10,
        "learning_rate": 0.001,
        "nested": {"b": [1, 2], "a": None},
        "features": "abc",
    }
    assert mapping_fingerprint(values) == "74775839f640d35a"


def test_features_fingerprint_is_pinned():
    sparse = sp.csr_matrix(np.array([[0, 1.5, 0], [2.0, 0, 0.25]], dtype=np.float32))
    assert features_fingerprint(sparse) == (
        "27bfa2c234e8ff9136fec160e890f9032e262072a67af1fc7c13e71e28adf630"
    )
    dense = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert features_fingerprint(dense) == (
        "3d2a8c5294e2c0b17d4a7e9adf6fcb0e909ad874034b387bbc3c217a062f1aff"
    )
