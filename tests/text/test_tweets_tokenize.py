"""GloVe-Twitter-style tokenisation, vocabulary and padded sequences."""

import numpy as np
import pytest

from mtl_pipeline.text.tweets import (
    PAD_ID,
    UNK_ID,
    build_vocabulary,
    encode_sequences,
    tokenize_tweet,
    vocabulary_size,
)


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("Got my flu shot http://bit.ly/abc", ["got", "my", "flu", "shot", "<url>"]),
        ("@CDCgov says 2,500 cases", ["<user>", "says", "<number>", "cases"]),
        ("#SwineFlu is here", ["<hashtag>", "swine", "flu", "is", "here"]),
        ("#FLU", ["<hashtag>", "flu", "<allcaps>"]),
        ("so sick :( but :) <3", ["so", "sick", "<sadface>", "but", "<smile>", "<heart>"]),
        ("I HATE this!!!", ["i", "hate", "<allcaps>", "this", "!", "<repeat>"]),
        ("sooooo tired", ["so", "<elong>", "tired"]),
        ("Tom &amp; Jerry don't", ["tom", "&", "jerry", "don't"]),
    ],
)
def test_glove_twitter_preprocessing(text, tokens):
    assert tokenize_tweet(text) == tokens


def test_vocabulary_min_count_and_reserved_indices():
    vocab = build_vocabulary([["b", "a", "a"], ["c", "b", "a"]], min_count=2)
    assert vocab["token"].tolist()[:2] == ["<pad>", "<unk>"]
    lookup = dict(zip(vocab["token"], vocab["index"], strict=True))
    assert lookup == {"<pad>": 0, "<unk>": 1, "a": 2, "b": 3, "c": 1}  # c is rare
    assert vocabulary_size(vocab) == 4
    with pytest.raises(ValueError, match="min_count"):
        build_vocabulary([["a"]], min_count=0)


def test_sequences_are_padded_truncated_and_unknown_mapped():
    vocab = build_vocabulary([["a", "b"], ["a"]], min_count=1)
    ids = encode_sequences([["a", "zzz"], ["b", "a", "b", "a"]], vocab, max_length=3)
    assert ids.dtype == np.int64 and ids.shape == (2, 3)
    assert ids.tolist() == [[2, UNK_ID, PAD_ID], [3, 2, 3]]
