"""Dataset features of task pairs (Kerinec et al. 2018, Section 3.3, after Bingel & Søgaard 2017).

Every statistic is computed from the *training* sample of a task (its documents and labels) and,
for the test-vs-train divergence and the out-of-vocabulary rate, from the *text* of its test
documents only: test labels are never read.

Jensen–Shannon: scipy's ``jensenshannon`` returns the Jensen–Shannon *distance*, the square root
of the divergence. The paper speaks of the divergence, so by default we report the divergence
(the square of scipy's value) in bits (base 2), which lies in [0, 1]; ``jsd_output="distance"``
reports scipy's distance instead; ``jsd_base`` e gives nats, as the released code
(``utils.py: JSD``, scipy's ``entropy``). The distribution of a group of documents is the count
of its tokens (``jsd_tokenizer``); ``jsd_join="concatenated"`` counts the tokens of the documents
concatenated WITHOUT a separator, as the released code did (the last word of a document and the
first of the next fuse into one token unless white space separates them).

Vocabulary statistics (``n_words``, ``vocab_size``, ``test_vocab_size``, ``oov_rate``) use
``vocabulary_tokenizer``; the released code split on ``\\W+`` (``utils.py: charge_params``).

Per-task statistics (computed once per (task, seed), then joined onto pairs):

- ``jsd_classes``: JSD of the unigram distributions of the task's two classes,
- ``jsd_test_train``: JSD of the unigram distributions of test and training documents,
- ``jsd_test_first_class`` / ``jsd_test_second_class``: JSD of the test documents and the
  training documents of class X / Y of the task "X vs Y" (released: "JSD test vs training set
  cat. 0 / cat. 1"; scikit-learn numbers the classes in alphabetical order, so cat. 0 is X),
- ``n_words``: number of tokens in the training documents (``n_words="tokens"``) or, as in the
  authors' released code, the vocabulary size (``n_words="types"``),
- ``vocab_size``: number of distinct tokens in the training documents,
- ``test_vocab_size``: number of distinct tokens in the test documents (released "nb words test
  set"),
- ``type_token_ratio``: ``vocab_size / tokens``,
- ``oov_rate``: share of test tokens (``oov_rate="tokens"``) or of test types (``"types"``, the
  released code) that do not occur in the training documents,
- ``label_entropy``: entropy (base 2) of the training label distribution,
- ``label_kurtosis``: Fisher kurtosis of the training labels (as 0/1 values).

Pair statistics (``cross_jsd_pairing``): ``by_father`` gives ``cross_jsd_a_c`` (main class A vs
auxiliary class C, both under A's father) and ``cross_jsd_b_d``; ``by_label`` gives
``cross_jsd_first_classes`` (class X of the main task vs class X of the auxiliary task) and
``cross_jsd_second_classes``, the released code's "cat. 0 main vs cat. 0 aux" — with classes
numbered alphabetically, which pairs classes under different fathers for some pairs (e.g. main
``talk.politics.guns vs alt.atheism``: cat. 0 = alt.atheism).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy, kurtosis
from sklearn.feature_extraction.text import CountVectorizer
from tqdm.auto import tqdm

from mtl_pipeline.features.ratios import join_task_statistics, pair_seed_grid
from mtl_pipeline.frames import require_columns
from mtl_pipeline.tasks.hierarchy import task_classes
from mtl_pipeline.text.tokenize import (
    tokenize_document,
    tokenize_nonword_split,
    tokenize_whitespace,
)

logger = logging.getLogger(__name__)

TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "document": tokenize_document,
    "whitespace": tokenize_whitespace,
    "nonword_split": tokenize_nonword_split,
}
JSD_JOINS = ("separate", "concatenated")
OOV_UNITS = ("tokens", "types")
CROSS_PAIRINGS = ("by_father", "by_label")

#: The per-task statistics by what they measure (each one a group of :mod:`.groups`).
DIVERGENCE_STATISTICS = (
    "jsd_classes",
    "jsd_test_train",
    "jsd_test_first_class",
    "jsd_test_second_class",
)
VOCABULARY_STATISTICS = ("n_words", "vocab_size", "test_vocab_size", "type_token_ratio", "oov_rate")
LABEL_STATISTICS = ("label_entropy", "label_kurtosis")
TASK_STATISTICS = DIVERGENCE_STATISTICS + VOCABULARY_STATISTICS + LABEL_STATISTICS
#: The pair statistics: ``cross_jsd_<pairing>`` (the names depend on ``cross_jsd_pairing``).
CROSS_STATISTICS = ("jsd",)

_TEST = -1  # group label of a task's (unlabelled) test documents


def jensen_shannon(
    p_counts: np.ndarray, q_counts: np.ndarray, *, base: float = 2.0, output: str = "divergence"
) -> float:
    """Jensen–Shannon divergence (default) or distance of two count or probability vectors.

    The vectors are normalised to sum 1 by scipy. An all-zero vector has no distribution: NaN.
    ``output="divergence"`` squares scipy's distance; ``output="distance"`` returns it as is.
    """
    if output not in ("divergence", "distance"):
        raise ValueError(f"jsd_output must be 'divergence' or 'distance', got {output!r}")
    p = np.asarray(p_counts, dtype=float)
    q = np.asarray(q_counts, dtype=float)
    if p.shape != q.shape:
        raise ValueError(f"distributions differ in length: {p.shape} vs {q.shape}")
    if p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    distance = float(jensenshannon(p, q, base=base))
    return distance**2 if output == "divergence" else distance


def _sparse_js(p: sp.csr_matrix, q: sp.csr_matrix, base: float, output: str) -> float:
    """JSD of two 1 × V sparse count rows, computed on the union of their supports only
    (zero entries contribute nothing to the divergence)."""
    cols = np.union1d(p.indices, q.indices)
    return jensen_shannon(
        p[:, cols].toarray().ravel(), q[:, cols].toarray().ravel(), base=base, output=output
    )


@dataclass(frozen=True)
class TaskCounts:
    """Summed token counts per (task, seed, group): group 1/0 = training documents with that
    label, group -1 = the task's test documents (labels unused). ``rows`` maps keys to rows of
    ``counts`` (a CSR matrix, one row per group, one column per token type)."""

    counts: sp.csr_matrix
    rows: dict[tuple[str, int, int], int]
    train_labels: dict[tuple[str, int], np.ndarray]

    def row(self, task: str, seed: int, group: int) -> sp.csr_matrix:
        """The summed counts of one group as a 1 × V CSR row (all zeros if the group is empty)."""
        idx = self.rows.get((task, int(seed), int(group)))
        if idx is None:
            return sp.csr_matrix((1, self.counts.shape[1]), dtype=self.counts.dtype)
        return self.counts[idx]


def _check_task_samples(
    task_samples: pd.DataFrame, documents: pd.DataFrame, tokenizer: str, join: str
) -> None:
    """The options and the ``task_samples`` columns :func:`build_task_counts` reads, checked."""
    if join not in JSD_JOINS:
        raise ValueError(f"jsd_join must be one of {JSD_JOINS}, got {join!r}")
    if join == "concatenated" and tokenizer != "whitespace":
        raise ValueError("jsd_join 'concatenated' needs jsd_tokenizer 'whitespace' (released code)")
    require_columns(task_samples, ["task", "seed", "split", "row", "label"], "task_samples")
    require_columns(documents, ["text"], "newsgroups_documents")
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {sorted(TOKENIZERS)}, got {tokenizer!r}")
    bad_split = ~task_samples["split"].isin(["train", "test"])
    if bad_split.any():
        raise ValueError(
            f"task_samples column 'split' must be 'train' or 'test'; row "
            f"{int(np.flatnonzero(bad_split)[0])} has {task_samples['split'][bad_split].iloc[0]!r}"
        )
    rows = task_samples["row"].to_numpy(dtype=np.int64)
    if len(rows) and (rows.min() < 0 or rows.max() >= len(documents)):
        raise ValueError(
            f"task_samples column 'row' must index newsgroups_documents (0..{len(documents) - 1}); "
            f"found values in [{rows.min()}, {rows.max()}]"
        )
    train = task_samples["split"].to_numpy() == "train"
    labels = task_samples["label"].to_numpy()
    if train.any() and not np.isin(labels[train], [0, 1]).all():
        raise ValueError("task_samples column 'label' must be 0 or 1 on training rows")


def build_task_counts(
    task_samples: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    tokenizer: str = "document",
    join: str = "separate",
) -> TaskCounts:
    """Tokenise each used document once and sum token counts per (task, seed, label / test).

    Args:
        task_samples: the ``task_samples`` table (task, seed, split, doc_id, row, label).
        documents: the ``newsgroups_documents`` table; row i holds document i's ``text``.
        tokenizer: ``"document"`` (the project's shared tokeniser), ``"whitespace"`` or
            ``"nonword_split"`` (the released code's two tokenisations).
        join: ``"separate"`` (each document tokenised alone) or ``"concatenated"`` (the
            documents of a group, in ``task_samples`` order, concatenated without a separator
            before a ``whitespace`` split, as the released code's ``JSD``).
    """
    _check_task_samples(task_samples, documents, tokenizer, join)
    rows = task_samples["row"].to_numpy(dtype=np.int64)
    train = task_samples["split"].to_numpy() == "train"
    labels = task_samples["label"].to_numpy()
    used, doc_index = np.unique(rows, return_inverse=True)
    texts = documents["text"].iloc[used].fillna("").astype(str).tolist()
    vectorizer = CountVectorizer(
        tokenizer=TOKENIZERS[tokenizer], lowercase=False, token_pattern=None
    )
    try:
        doc_counts = vectorizer.fit_transform(texts).tocsr()
    except ValueError as err:  # empty vocabulary
        raise ValueError(f"no tokens in the {len(texts)} documents used by task_samples") from err

    group_label = np.where(train, labels, _TEST).astype(np.int64)
    keys = pd.DataFrame(
        {
            "task": task_samples["task"].to_numpy(),
            "seed": task_samples["seed"].astype(int).to_numpy(),
        }
    )
    keys["group"] = group_label
    group_id = keys.groupby(["task", "seed", "group"], sort=True).ngroup().to_numpy()
    n_groups = int(group_id.max()) + 1 if len(group_id) else 0
    aggregate = sp.csr_matrix(
        (np.ones(len(group_id)), (group_id, doc_index)), shape=(n_groups, len(used))
    )
    counts = (aggregate @ doc_counts).tocsr()
    if join == "concatenated":
        counts = _fuse_boundaries(counts, vectorizer.vocabulary_, group_id, doc_index, texts)
    first = keys.assign(gid=group_id).drop_duplicates("gid")
    row_of = {
        (t, int(s), int(g)): int(i)
        for t, s, g, i in first[["task", "seed", "group", "gid"]].itertuples(index=False)
    }
    train_labels = {
        (t, int(s)): grp["label"].to_numpy(dtype=np.int64)
        for (t, s), grp in task_samples.loc[train].groupby(["task", "seed"], sort=True)
    }
    return TaskCounts(counts=counts, rows=row_of, train_labels=train_labels)


def _fuse_boundaries(
    counts: sp.csr_matrix,
    vocabulary: dict[str, int],
    group_id: np.ndarray,
    doc_index: np.ndarray,
    texts: list[str],
) -> sp.csr_matrix:
    """Correct summed white-space token counts for documents concatenated without a separator.

    Where a document ends and the next (in group order) starts without white space, their
    boundary tokens fuse: the two tokens lose a count and the fused token (a new column when
    unseen) gains one. A document without white space at either end may join a chain.
    """
    corrections: dict[tuple[int, str], int] = {}

    def bump(g: int, token: str, by: int) -> None:
        corrections[(g, token)] = corrections.get((g, token), 0) + by

    pending: dict[int, str | None] = {}  # per group: the open token at the end of the text so far
    for g, d in zip(group_id.tolist(), doc_index.tolist(), strict=True):
        text = texts[d]
        if not text:
            continue
        tokens = text.split()
        if not tokens:  # white space only: closes any open token
            pending[g] = None
            continue
        first, last = tokens[0], tokens[-1]
        open_token = pending.get(g)
        if open_token is not None and not text[0].isspace():
            fused = open_token + first
            bump(g, open_token, -1)
            bump(g, first, -1)
            bump(g, fused, +1)
            if len(tokens) == 1:
                last = fused
        pending[g] = None if text[-1].isspace() else last
    if not corrections:
        return counts
    vocab = dict(vocabulary)
    for _, token in corrections:
        vocab.setdefault(token, len(vocab))
    entries = [(g, vocab[t], v) for (g, t), v in corrections.items() if v]
    rows = [e[0] for e in entries]
    cols = [e[1] for e in entries]
    vals = [e[2] for e in entries]
    shape = (counts.shape[0], len(vocab))
    delta = sp.csr_matrix((vals, (rows, cols)), shape=shape)
    widened = sp.csr_matrix((counts.data, counts.indices, counts.indptr), shape=shape)
    out = (widened + delta).tocsr()
    out.eliminate_zeros()
    return out


def task_statistics(
    counts: TaskCounts,
    *,
    vocabulary_counts: TaskCounts | None = None,
    jsd_output: str = "divergence",
    n_words: str = "tokens",
    oov_rate: str = "tokens",
    base: float = 2.0,
) -> pd.DataFrame:
    """One row per (task, seed) with the statistics in :data:`TASK_STATISTICS`.

    Divergences come from ``counts``; vocabulary statistics from ``vocabulary_counts`` (default:
    the same counts).
    """
    if n_words not in ("tokens", "types"):
        raise ValueError(f"n_words must be 'tokens' or 'types', got {n_words!r}")
    if oov_rate not in OOV_UNITS:
        raise ValueError(f"oov_rate must be one of {OOV_UNITS}, got {oov_rate!r}")
    vocab_counts = vocabulary_counts if vocabulary_counts is not None else counts
    records = []
    for task, seed in sorted(counts.train_labels):
        pos = counts.row(task, seed, 1)
        neg = counts.row(task, seed, 0)
        test = counts.row(task, seed, _TEST)
        train_words = vocab_counts.row(task, seed, 1) + vocab_counts.row(task, seed, 0)
        test_words = vocab_counts.row(task, seed, _TEST)
        n_tokens = float(train_words.sum())
        vocab = float(train_words.nnz)
        unseen = np.setdiff1d(test_words.indices, train_words.indices)
        if test_words.nnz == 0:
            oov = float("nan")
            logger.warning("task %r seed %s has no test documents: oov_rate is NaN", task, seed)
        elif oov_rate == "types":
            oov = len(unseen) / float(test_words.nnz)
        else:
            oov = float(test_words[:, unseen].sum()) / float(test_words.sum())
        labels = counts.train_labels[(task, seed)]
        with warnings.catch_warnings():  # constant labels: kurtosis is undefined (NaN)
            warnings.simplefilter("ignore", RuntimeWarning)
            label_kurtosis = float(kurtosis(labels.astype(float)))
        records.append(
            {
                "task": task,
                "seed": int(seed),
                "jsd_classes": _sparse_js(pos, neg, base, jsd_output),
                "jsd_test_train": _sparse_js(test, pos + neg, base, jsd_output),
                "jsd_test_first_class": _sparse_js(test, pos, base, jsd_output),
                "jsd_test_second_class": _sparse_js(test, neg, base, jsd_output),
                "n_words": n_tokens if n_words == "tokens" else vocab,
                "vocab_size": vocab,
                "test_vocab_size": float(test_words.nnz),
                "type_token_ratio": vocab / n_tokens if n_tokens > 0 else float("nan"),
                "oov_rate": oov,
                "label_entropy": float(entropy(np.bincount(labels, minlength=2), base=base)),
                "label_kurtosis": label_kurtosis,
            }
        )
    return pd.DataFrame.from_records(records, columns=["task", "seed", *TASK_STATISTICS]).astype(
        {"seed": "int64"}
    )


def _label_of(task: str, newsgroup: str, where: str) -> int:
    """Label of a newsgroup in a canonical task "X vs Y" (X → 1, Y → 0)."""
    try:
        classes = task_classes(task)
    except ValueError:
        classes = ()
    if newsgroup not in classes:
        raise ValueError(
            f"task_pairs {where}: newsgroup {newsgroup!r} is not a class of task {task!r} "
            "(expected a canonical 'X vs Y' name containing it)"
        )
    return 1 if newsgroup == classes[0] else 0


def _class_labels(pairs: pd.DataFrame) -> dict[tuple[str, ...], tuple[int, int, int, int]]:
    """The labels of classes A, B (main task) and C, D (auxiliary task) of every pair row."""
    labels: dict[tuple[str, ...], tuple[int, int, int, int]] = {}
    for i, r in enumerate(pairs.itertuples(index=False)):
        where = f"row {i} (pair_id {r.pair_id!r}, {r.problem})"
        la, lb = _label_of(r.main_task, r.main_a, where), _label_of(r.main_task, r.main_b, where)
        lc, ld = _label_of(r.aux_task, r.aux_c, where), _label_of(r.aux_task, r.aux_d, where)
        labels[(r.main_task, r.main_a, r.main_b, r.aux_task, r.aux_c, r.aux_d)] = (la, lb, lc, ld)
    return labels


def _cross_divergences(
    pairs: pd.DataFrame,
    grid: pd.DataFrame,
    counts: TaskCounts,
    pairing: str,
    base: float,
    output: str,
) -> tuple[list[float], list[float]]:
    """The two cross divergences of every pair × seed row of ``grid``, in its order."""
    labels = _class_labels(pairs)
    first_cross, second_cross = [], []
    # A progress bar on a terminal (tqdm disables itself elsewhere): 2,580 pair × seed rows in
    # the paper's configuration.
    rows = tqdm(grid.itertuples(index=False), total=len(grid), desc="dataset features",
                unit="pair", disable=None, leave=False)  # fmt: skip
    for r in rows:
        la, lb, lc, ld = labels[(r.main_task, r.main_a, r.main_b, r.aux_task, r.aux_c, r.aux_d)]
        if pairing == "by_label":  # class X with class X, Y with Y (label 1, 0)
            la, lc, lb, ld = 1, 1, 0, 0
        seed = int(r.seed)
        main_1, main_2 = counts.row(r.main_task, seed, la), counts.row(r.main_task, seed, lb)
        aux_1, aux_2 = counts.row(r.aux_task, seed, lc), counts.row(r.aux_task, seed, ld)
        first_cross.append(_sparse_js(main_1, aux_1, base, output))
        second_cross.append(_sparse_js(main_2, aux_2, base, output))
    return first_cross, second_cross


def dataset_features(
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    tokenizer: str = "document",
    vocabulary_tokenizer: str | None = None,
    jsd_join: str = "separate",
    jsd_output: str = "divergence",
    n_words: str = "tokens",
    oov_rate: str = "tokens",
    cross_jsd_pairing: str = "by_father",
    ratio_when_aux_is_zero: str = "nan",
    base: float = 2.0,
) -> pd.DataFrame:
    """Dataset features of every pair × seed (the pairs' ``seeds`` column, else every seed
    present in ``task_samples``).

    Returns one row per (pair_id, problem, seed) with ``main_task``, ``aux_task``,
    ``main_<stat>``, ``aux_<stat>``, ``ratio_<stat>`` for each statistic in
    :data:`TASK_STATISTICS`, and the two cross divergences of ``cross_jsd_pairing`` (see the
    module docstring). ``tokenizer`` tokenises for the divergences, ``vocabulary_tokenizer``
    (default: the same) for the vocabulary statistics.
    """
    require_columns(
        task_pairs,
        ["pair_id", "problem", "main_a", "main_b", "aux_c", "aux_d", "main_task", "aux_task"],
        "task_pairs",
    )
    if cross_jsd_pairing not in CROSS_PAIRINGS:
        raise ValueError(
            f"cross_jsd_pairing must be one of {CROSS_PAIRINGS}, got {cross_jsd_pairing!r}"
        )
    counts, vocab_counts = _task_counts(
        task_samples, documents, tokenizer, vocabulary_tokenizer or tokenizer, jsd_join
    )
    stats = task_statistics(
        counts,
        vocabulary_counts=vocab_counts,
        jsd_output=jsd_output,
        n_words=n_words,
        oov_rate=oov_rate,
        base=base,
    )
    seeds = sorted({int(s) for s in task_samples["seed"].unique()})
    columns = ["pair_id", "problem", "main_task", "aux_task", "main_a", "main_b", "aux_c", "aux_d"]
    grid = pair_seed_grid(task_pairs, columns, seeds)
    out = join_task_statistics(
        grid, stats, list(TASK_STATISTICS), when_aux_is_zero=ratio_when_aux_is_zero
    )

    first_cross, second_cross = _cross_divergences(
        task_pairs[columns], grid, counts, cross_jsd_pairing, base, jsd_output
    )
    first_name, second_name = CROSS_COLUMNS[cross_jsd_pairing]
    out[first_name] = np.asarray(first_cross, dtype=float)
    out[second_name] = np.asarray(second_cross, dtype=float)
    return out.drop(columns=["main_a", "main_b", "aux_c", "aux_d"]).reset_index(drop=True)


#: The two cross-divergence columns of each ``cross_jsd_pairing``.
CROSS_COLUMNS = {
    "by_father": ("cross_jsd_a_c", "cross_jsd_b_d"),
    "by_label": ("cross_jsd_first_classes", "cross_jsd_second_classes"),
}


def _task_counts(
    task_samples: pd.DataFrame,
    documents: pd.DataFrame,
    tokenizer: str,
    vocabulary_tokenizer: str,
    jsd_join: str,
) -> tuple[TaskCounts, TaskCounts]:
    """The counts the divergences read (``tokenizer``, ``jsd_join``) and those the vocabulary
    statistics read (``vocabulary_tokenizer``, separate): the same counts when both agree."""
    counts = build_task_counts(task_samples, documents, tokenizer=tokenizer, join=jsd_join)
    if vocabulary_tokenizer == tokenizer and jsd_join == "separate":
        return counts, counts
    return counts, build_task_counts(task_samples, documents, tokenizer=vocabulary_tokenizer)
