import numpy as np
import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.text.tfidf import fit_tfidf
from mtl_pipeline.text.tokenize import tokenize_document


def test_tokenizer_lowercases_and_drops_one_letter_tokens():
    assert tokenize_document("The CAT sat, a b 42 x9!") == ["the", "cat", "sat", "42", "x9"]


def test_tfidf_is_sparse_fit_on_train_and_keeps_the_most_frequent_terms():
    texts = pd.Series(["apple apple banana", "apple cherry", "banana durian", "unseen words here"])
    train = np.array([True, True, True, False])
    matrix, vocabulary = fit_tfidf(texts, train, max_features=3)
    assert sp.issparse(matrix) and matrix.dtype == np.float32
    assert matrix.shape == (4, 3)
    # apple (3), banana (2) and one of the count-1 terms; words only in test are not in it
    assert {"apple", "banana"} <= set(vocabulary.term)
    assert not {"unseen", "words", "here"} & set(vocabulary.term)
    assert matrix[3].nnz == 0  # the test document shares no vocabulary term
    assert vocabulary.set_index("term").loc["apple", "document_frequency"] == 2
    # rows keep the input order: row 0 has apple and banana
    apple, banana = (vocabulary.set_index("term").loc[t, "column"] for t in ("apple", "banana"))
    assert matrix[0, apple] > matrix[0, banana] > 0
    np.testing.assert_allclose(sp.linalg.norm(matrix[:3], axis=1), 1.0, rtol=1e-6)
