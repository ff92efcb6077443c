"""Ingestion of labelled tweets, as a user has them after rehydration.

Twitter datasets are shared as tweet ids with labels; the text comes back from a rehydration tool
(twarc2 ``hydrate``, twarc v1, the Hydrator app) with some tweets deleted or protected. A dataset is
configured by its files and columns (see ``conf/base/parameters_tweets.yml``) and is read either

* from a *table* that already carries id, label(s) and text (TSV/CSV/Parquet, several files
  concatenated, e.g. Lamb et al. 2013's ``*.content.txt``), or
* from an *id + label table joined with rehydration output* (``hydrated:`` block).

The output is one table per dataset (``tweet_id`` as str, ``text``, one column per label) and a
report of what was requested, found, missing (by reason), duplicated and conflicting. Ids are
strings end to end: a 19-digit tweet id read as float silently becomes another tweet.

Every input problem is either a ``TweetDataError`` naming the file, line/row, column or parameter,
or a drop that the report counts and lists; never a silently wrong table.

Modules, bottom up: ``text_files`` (the error, the id/text columns, UTF-8 and JSON-lines
reading), ``tweet_objects`` (id, full text and retweet of one API tweet object), ``hydration``
(``HYDRATION_READERS``: one reader per rehydration format, chosen by name), ``config`` (a
dataset's specs, parsed from ``tweets.datasets.<name>`` by ``mtl_pipeline.specs.tweets``),
``tables`` (id + label tables), ``report`` (the rehydration report's columns), ``dataset`` (one
dataset: dedupe, text, extra labels), ``combined`` (every dataset in one table).
"""

from .combined import (
    DATASET,
    LABEL_SEPARATOR,
    combine_tweet_datasets,
    split_tweet_datasets,
)
from .config import (
    RETWEET_TEXT,
    TABLE_FORMATS,
    ExtraLabels,
    HydratedSource,
    LabelSpec,
    TableSource,
    TweetDatasetConfig,
)
from .dataset import load_tweet_dataset
from .hydration import HYDRATION_READERS, HydrationResult, read_hydrated
from .report import MISSING_REASONS, REPORT_COLUMNS, rehydration_report_table
from .tables import read_table
from .text_files import ID, TEXT, TweetDataError, read_text_file

__all__ = [
    "DATASET",
    "HYDRATION_READERS",
    "ID",
    "LABEL_SEPARATOR",
    "MISSING_REASONS",
    "REPORT_COLUMNS",
    "RETWEET_TEXT",
    "TABLE_FORMATS",
    "TEXT",
    "ExtraLabels",
    "HydratedSource",
    "HydrationResult",
    "LabelSpec",
    "TableSource",
    "TweetDataError",
    "TweetDatasetConfig",
    "combine_tweet_datasets",
    "load_tweet_dataset",
    "read_hydrated",
    "read_table",
    "read_text_file",
    "rehydration_report_table",
    "split_tweet_datasets",
]
