"""Tokenisers: one per kind of text, shared by every stage that needs tokens.

Newsgroup posts use one tokeniser everywhere (TF-IDF, dataset features, vocabulary and OOV
statistics) so that "a word" means the same thing in the features and in the model input.
"""

from __future__ import annotations

import re

# The same pattern scikit-learn's CountVectorizer uses by default (tokens of 2+ word characters),
# lower-cased: the paper's TF-IDF input.
_DOCUMENT_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def tokenize_document(text: str) -> list[str]:
    """Split a document into lower-case word tokens of at least two word characters."""
    return _DOCUMENT_TOKEN.findall(text.lower())


def tokenize_whitespace(text: str) -> list[str]:
    """Split on white space only, as the authors' released code did for its divergences."""
    return text.split()


_NON_WORD = re.compile(r"\W+", flags=re.ASCII)


def tokenize_nonword_split(text: str) -> list[str]:
    """``re.split("\\W+", text)`` as the authors' released code counted vocabulary words
    (``utils.py: charge_params``): case kept, ASCII word characters (their Python 2 default),
    and the empty strings the split yields at a leading or trailing separator kept as a type."""
    return _NON_WORD.split(text)
