"""Dataset features: JSD, TTR/OOV, label statistics, pair joins, and no use of test labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.features.dataset import (
    TASK_STATISTICS,
    build_task_counts,
    dataset_features,
    jensen_shannon,
    task_statistics,
)


def test_jsd_matches_hand_computed_divergence_and_distance():
    # p = (1/2, 1/2), q = (1, 0), m = (3/4, 1/4):
    # KL(p||m) = 1/2 log2(2/3) + 1/2 log2(2) ; KL(q||m) = log2(4/3); JSD = (KL + KL) / 2
    expected = 0.5 * ((0.5 * np.log2(2 / 3) + 0.5) + np.log2(4 / 3))
    assert expected == pytest.approx(0.311278, abs=1e-6)
    assert jensen_shannon([5, 5], [3, 0]) == pytest.approx(expected, rel=1e-9)  # counts normalised
    assert jensen_shannon([1, 1], [1, 0], output="distance") == pytest.approx(np.sqrt(expected))
    assert jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)  # disjoint supports: 1 bit
    assert jensen_shannon([2, 3], [4, 6]) == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(jensen_shannon([0, 0], [1, 0]))
    with pytest.raises(ValueError, match="jsd_output"):
        jensen_shannon([1, 0], [0, 1], output="bits")


def _corpus():
    docs = pd.DataFrame(
        {
            "text": [
                "apple banana apple",  # 0 train, class x (label 1)
                "cherry apple",  # 1 train, class y (label 0)
                "apple durian durian",  # 2 test
                "Apple, banana",  # 3 train aux class u (label 1)
                "egg egg",  # 4 train aux class w (label 0)
                "egg fig",  # 5 test aux
            ]
        }
    )
    samples = pd.DataFrame(
        {
            "task": ["x vs y"] * 3 + ["u vs w"] * 3,
            "seed": 0,
            "split": ["train", "train", "test"] * 2,
            "doc_id": [f"d{i}" for i in range(6)],
            "row": range(6),
            "label": [1, 0, 1, 1, 0, 0],
        }
    )
    return docs, samples


def test_ttr_oov_and_label_statistics_on_tiny_corpus():
    docs, samples = _corpus()
    stats = task_statistics(build_task_counts(samples, docs)).set_index("task")
    xy = stats.loc["x vs y"]
    # train tokens: apple x3, banana, cherry -> 5 tokens, 3 types; test: apple durian durian
    assert xy["n_words"] == 5 and xy["vocab_size"] == 3
    assert xy["type_token_ratio"] == pytest.approx(3 / 5)
    assert xy["oov_rate"] == pytest.approx(2 / 3)
    # classes over (apple, banana, cherry): (2, 1, 0) vs (1, 0, 1)
    assert xy["jsd_classes"] == pytest.approx(jensen_shannon([2, 1, 0], [1, 0, 1]))
    # test (apple 1, durian 2) vs train (apple 3, banana 1, cherry 1) over (a, b, c, d)
    assert xy["jsd_test_train"] == pytest.approx(jensen_shannon([1, 0, 0, 2], [3, 1, 1, 0]))
    assert xy["label_entropy"] == pytest.approx(1.0)
    assert xy["label_kurtosis"] == pytest.approx(-2.0)  # Fisher kurtosis of a balanced 0/1 sample
    types = task_statistics(build_task_counts(samples, docs), n_words="types").set_index("task")
    assert types.loc["x vs y", "n_words"] == 3  # released code: "nb words" = vocabulary size


def test_whitespace_tokenizer_switch_changes_tokens():
    docs, samples = _corpus()
    ws = task_statistics(build_task_counts(samples, docs, tokenizer="whitespace")).set_index("task")
    # whitespace tokens of "Apple, banana" + "egg egg": "Apple,", "banana", "egg"; test "egg fig"
    assert ws.loc["u vs w", "vocab_size"] == 3
    assert ws.loc["u vs w", "oov_rate"] == pytest.approx(0.5)
    doc = dataset_features(_pairs(), samples, docs).iloc[0]
    white = dataset_features(_pairs(), samples, docs, tokenizer="whitespace").iloc[0]
    # A = "cherry apple", C = "Apple, banana": "apple" is shared only for the document tokeniser
    assert doc["cross_jsd_a_c"] < 1.0
    assert white["cross_jsd_a_c"] == pytest.approx(1.0)


def _pairs():
    return pd.DataFrame(
        {
            "pair_id": ["p0"],
            "problem": ["related"],
            "main_a": ["y"],
            "main_b": ["x"],
            "aux_c": ["u"],
            "aux_d": ["w"],
            "main_task": ["x vs y"],
            "aux_task": ["u vs w"],
        }
    )


def test_pair_features_join_ratios_and_cross_divergences():
    docs, samples = _corpus()
    feats = dataset_features(_pairs(), samples, docs)
    assert len(feats) == 1
    row = feats.iloc[0]
    stats = task_statistics(build_task_counts(samples, docs)).set_index("task")
    for stat in TASK_STATISTICS:
        assert row[f"main_{stat}"] == pytest.approx(stats.loc["x vs y", stat], nan_ok=True)
        assert row[f"aux_{stat}"] == pytest.approx(stats.loc["u vs w", stat], nan_ok=True)
    assert row["ratio_vocab_size"] == pytest.approx(3 / 3)
    assert row["ratio_n_words"] == pytest.approx(5 / 4)
    # A = y ("cherry apple"), C = u ("apple banana"); vocabulary (apple, banana, cherry)
    assert row["cross_jsd_a_c"] == pytest.approx(jensen_shannon([1, 0, 1], [1, 1, 0]))
    # B = x ("apple banana apple"), D = w ("egg egg"): disjoint -> 1 bit
    assert row["cross_jsd_b_d"] == pytest.approx(1.0)


def test_test_labels_are_never_read():
    docs, samples = _corpus()
    flipped = samples.copy()
    test = flipped["split"] == "test"
    flipped.loc[test, "label"] = 1 - flipped.loc[test, "label"]
    pd.testing.assert_frame_equal(
        dataset_features(_pairs(), samples, docs), dataset_features(_pairs(), flipped, docs)
    )


def test_statistics_computed_once_per_task_not_per_pair(monkeypatch):
    import mtl_pipeline.features.dataset as ds

    docs, samples = _corpus()
    pairs = pd.concat([_pairs()] * 5, ignore_index=True).assign(pair_id=[f"p{i}" for i in range(5)])
    calls = []
    real = ds.task_statistics
    monkeypatch.setattr(ds, "task_statistics", lambda *a, **k: calls.append(1) or real(*a, **k))
    feats = ds.dataset_features(pairs, samples, docs)
    assert len(feats) == 5 and len(calls) == 1


def test_clear_errors_for_bad_inputs():
    docs, samples = _corpus()
    with pytest.raises(ValueError, match="'row'"):
        build_task_counts(samples.assign(row=samples["row"] + 10), docs)
    bad = _pairs().assign(main_a="zzz")
    with pytest.raises(ValueError, match="zzz"):
        dataset_features(bad, samples, docs)
    with pytest.raises(ValueError, match="lacks column"):
        build_task_counts(samples.drop(columns="label"), docs)


def _kl_nats(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    return 0.5 * sum(a * np.log(a / b) for a, b in zip(p, m, strict=True) if a) + 0.5 * sum(
        a * np.log(a / b) for a, b in zip(q, m, strict=True) if a
    )


def _one_task_samples(splits: list[str], labels: list[int]) -> pd.DataFrame:
    """task_samples of task "x vs y", seed 0, one row per document in order."""
    return pd.DataFrame(
        {
            "task": "x vs y",
            "seed": 0,
            "split": splits,
            "doc_id": [f"d{i}" for i in range(len(splits))],
            "row": range(len(splits)),
            "label": labels,
        }
    )


def test_released_jsd_concatenates_documents_without_a_separator_in_nats():
    # class X of task "x vs y": documents "a b" and "c" -> "a bc" ; class Y: "a" -> "a"
    docs = pd.DataFrame({"text": ["a b", "c", "a", "b c d "]})
    samples = _one_task_samples(["train", "train", "train", "test"], [1, 1, 0, 0])
    counts = build_task_counts(samples, docs, tokenizer="whitespace", join="concatenated")
    stats = task_statistics(counts, base=np.e).iloc[0]
    # X = {a: 1, bc: 1}, Y = {a: 1} over (a, bc): JSD by hand, in nats
    # P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4); in nats:
    by_hand = 0.5 * ((0.5 * np.log(2 / 3) + 0.5 * np.log(2)) + np.log(4 / 3))
    assert by_hand == pytest.approx(0.215762, abs=1e-6)
    assert stats["jsd_classes"] == pytest.approx(by_hand, rel=1e-12)
    assert _kl_nats([1, 1], [1, 0]) == pytest.approx(by_hand, rel=1e-12)
    # test "b c d " vs class X {a, bc}: no shared token (b, c, d vs a, bc) -> ln 2
    assert stats["jsd_test_first_class"] == pytest.approx(np.log(2))
    separate = task_statistics(build_task_counts(samples, docs, tokenizer="whitespace"), base=np.e)
    # separately tokenised, X = {a, b, c} shares b and c with the test documents
    assert separate.iloc[0]["jsd_test_first_class"] < np.log(2)
    # a chain: "p" + "q" + "r s" -> "pqr s"
    chain = pd.DataFrame({"text": ["p", "q", "r s", "t"]})
    counts = build_task_counts(
        samples.assign(label=[1, 1, 1, 0]), chain, tokenizer="whitespace", join="concatenated"
    )
    assert counts.row("x vs y", 0, 1).sum() == 2  # "pqr", "s"
    with pytest.raises(ValueError, match="whitespace"):
        build_task_counts(samples, docs, join="concatenated")


def test_released_vocabulary_statistics_types_and_oov_over_types():
    docs = pd.DataFrame({"text": ["Foo bar, foo!", "bar baz", "baz qux qux", "z"]})
    samples = _one_task_samples(["train", "train", "test", "train"], [1, 0, 0, 0])
    stats = dataset_features(
        _one_pair(),
        samples,
        docs,
        tokenizer="whitespace",
        vocabulary_tokenizer="nonword_split",
        n_words="types",
        oov_rate="types",
    ).iloc[0]
    # re.split("\W+"): "Foo bar, foo!" -> Foo, bar, foo, "" ; training types {Foo, bar, foo, "",
    # baz, z} = 6; test types {baz, qux} = 2, unseen {qux}: OOV 1/2 (over tokens it would be 2/3)
    assert stats["main_n_words"] == 6 and stats["main_vocab_size"] == 6
    assert stats["main_test_vocab_size"] == 2
    assert stats["main_oov_rate"] == pytest.approx(0.5)
    tokens = dataset_features(_one_pair(), samples, docs, vocabulary_tokenizer="nonword_split")
    assert tokens.iloc[0]["main_oov_rate"] == pytest.approx(2 / 3)


def _one_pair():
    return pd.DataFrame(
        {
            "pair_id": ["p0"],
            "problem": ["related"],
            "main_a": ["x"],
            "main_b": ["y"],
            "aux_c": ["x"],
            "aux_d": ["y"],
            "main_task": ["x vs y"],
            "aux_task": ["x vs y"],
        }
    )


def test_cross_jsd_by_label_pairs_classes_alphabetically_and_zero_ratios():
    docs, samples = _corpus()
    by_father = dataset_features(_pairs(), samples, docs).iloc[0]
    by_label = dataset_features(_pairs(), samples, docs, cross_jsd_pairing="by_label").iloc[0]
    # pair: A = y, B = x (main "x vs y"), C = u, D = w (aux "u vs w"). By label: X = x (label
    # 1) with U = u, Y = y with W = w — A vs C by father becomes x vs u by label
    assert by_label["cross_jsd_first_classes"] == pytest.approx(
        jensen_shannon([2, 1, 0], [1, 1, 0])  # x: apple 2, banana 1 ; u: apple, banana
    )
    assert by_label["cross_jsd_second_classes"] == pytest.approx(1.0)  # y vs w: disjoint
    assert by_father["cross_jsd_a_c"] != pytest.approx(by_label["cross_jsd_first_classes"])
    assert "cross_jsd_a_c" not in by_label.index
    # an auxiliary value of 0 gives a NaN ratio, or 0 as released
    zero = samples.copy()
    zero.loc[zero["task"] == "u vs w", "split"] = "train"  # aux task without test documents
    nan_ratio = dataset_features(_pairs(), zero, docs).iloc[0]
    zero_ratio = dataset_features(_pairs(), zero, docs, ratio_when_aux_is_zero="zero").iloc[0]
    assert nan_ratio["aux_test_vocab_size"] == 0
    assert np.isnan(nan_ratio["ratio_test_vocab_size"])
    assert zero_ratio["ratio_test_vocab_size"] == 0.0


def test_per_problem_seeds_of_the_pairs_give_the_rows():
    docs, samples = _corpus()
    both = pd.concat([samples, samples.assign(seed=1)], ignore_index=True)
    pairs = pd.concat([_pairs(), _pairs().assign(pair_id="p1", problem="unrelated")])
    pairs["seeds"] = [[0, 1], [0]]  # related on two seeds, unrelated on seed 0 only
    feats = dataset_features(pairs, both, docs)
    assert sorted(zip(feats["problem"], feats["seed"], strict=True)) == [
        ("related", 0),
        ("related", 1),
        ("unrelated", 0),
    ]
    assert feats["main_jsd_classes"].notna().all()
