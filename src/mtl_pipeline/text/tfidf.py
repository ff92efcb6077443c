"""TF-IDF features of documents, sparse end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from mtl_pipeline.params import ParameterError
from mtl_pipeline.text.tokenize import tokenize_document


def fit_tfidf(
    texts: pd.Series, fit_mask: np.ndarray, max_features: int
) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """Fit TF-IDF on the masked documents (the train split) and transform all of them.

    The vocabulary is the ``max_features`` most frequent terms of the fitted documents (the
    paper: 10,000), tokenised with :func:`tokenize_document`, the tokeniser every other stage uses.

    Returns:
        The (documents × terms) float32 CSR matrix, rows in the order of ``texts``, and the
        vocabulary table ``term, column, document_frequency, idf``.
    """
    if max_features < 1:
        raise ParameterError(f"max_features must be ≥ 1, got {max_features}")
    fit_mask = np.asarray(fit_mask, dtype=bool)
    if not fit_mask.any():
        raise ValueError("TF-IDF needs at least one training document to fit on")
    vectorizer = TfidfVectorizer(
        tokenizer=tokenize_document,
        lowercase=False,
        token_pattern=None,
        max_features=max_features,
        dtype=np.float32,
    )
    texts = texts.astype(str)
    # Tokenising is the slow part: fit_transform the fitted documents, transform the rest once,
    # then put the rows back in the input order.
    fitted = vectorizer.fit_transform(texts[fit_mask])
    others = vectorizer.transform(texts[~fit_mask])
    order = np.concatenate([np.flatnonzero(fit_mask), np.flatnonzero(~fit_mask)])
    matrix = sp.vstack([fitted, others]).tocsr()[np.argsort(order)]
    terms = vectorizer.get_feature_names_out()
    vocabulary = pd.DataFrame(
        {
            "term": terms,
            "column": np.arange(len(terms), dtype="int64"),
            "document_frequency": np.diff(fitted.tocsc().indptr).astype("int64"),
            "idf": vectorizer.idf_.astype("float64"),
        }
    )
    return matrix, vocabulary
