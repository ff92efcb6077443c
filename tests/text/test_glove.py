"""GloVe readers (text file and the packaged 6B 50d), embedding matrix and coverage."""

import numpy as np
import pytest

from mtl_pipeline.text.glove import (
    GloveError,
    build_embedding_matrix,
    embedding_coverage,
    load_glove_text,
    load_packaged_glove,
)
from mtl_pipeline.text.tweets import build_vocabulary


def _glove(tmp_path, text):
    path = tmp_path / "g.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_text_reader_keeps_requested_words(tmp_path):
    path = _glove(tmp_path, "<user> 1 2 3\nflu 0.5 -1 2\nthe 9 9 9\nflu 7 7 7\n")
    vectors = load_glove_text(path, {"flu", "<user>", "absent"})
    assert set(vectors) == {"flu", "<user>"}
    np.testing.assert_array_equal(vectors["flu"], np.array([0.5, -1, 2], dtype=np.float32))


def test_text_reader_errors(tmp_path):
    with pytest.raises(GloveError, match=r"line 2: 2 values, expected 3"):
        load_glove_text(_glove(tmp_path, "a 1 2 3\nb 1 2\n"))
    with pytest.raises(GloveError, match=r"line 1: values of 'a' are not numbers"):
        load_glove_text(_glove(tmp_path, "a 1 x 3\n"))
    with pytest.raises(GloveError, match="does not exist"):
        load_glove_text(tmp_path / "missing.txt")


def test_matrix_and_coverage(tmp_path):
    vocab = build_vocabulary([["flu", "flu", "shot", "zzz"], ["flu", "shot", "rare"]], 2)
    vectors = load_glove_text(
        _glove(tmp_path, "flu 1 2\nshot 3 4\nrare 5 6\n"), set(vocab["token"])
    )
    m = build_embedding_matrix(vocab, vectors, "random", seed=3)
    lookup = dict(zip(vocab["token"], vocab["index"], strict=True))
    assert m.shape == (4, 2) and m.dtype == np.float32
    assert (m[0] == 0).all()  # padding
    np.testing.assert_array_equal(m[lookup["flu"]], [1, 2])
    assert not (m[1] == 0).all()  # unknown: seeded random
    np.testing.assert_array_equal(m, build_embedding_matrix(vocab, vectors, "random", seed=3))
    assert (build_embedding_matrix(vocab, vectors, "zeros")[1] == 0).all()
    cov = embedding_coverage(vocab, vectors, "tiny").set_index("scope")
    # corpus: types flu, shot, zzz, rare -> 3 of 4 found; tokens 3+2+1+1=7, 6 found
    assert cov.loc["corpus", "oov_rate_types"] == pytest.approx(0.25)
    assert cov.loc["corpus", "oov_rate_tokens"] == pytest.approx(1 / 7)
    assert cov.loc["vocabulary", "n_types"] == 2
    assert cov.loc["vocabulary", "oov_rate_tokens"] == 0.0


def test_packaged_glove_6b_50d():
    vectors = load_packaged_glove({"flu", "the", "notawordatallxyz"})
    assert set(vectors) == {"flu", "the"}
    assert vectors["flu"].shape == (50,) and vectors["flu"].dtype == np.float32
    assert np.abs(vectors["the"]).sum() > 0
