"""A tweet dataset's configuration as typed specs: its label table, where its text comes from,
its label columns (built from ``tweets.datasets.<name>`` by :mod:`mtl_pipeline.specs.tweets`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .text_files import ID, TEXT

TABLE_FORMATS = ("tsv", "csv", "parquet")
RETWEET_TEXT = ("original", "as_returned")
EMPTY_TEXT_ACTIONS = ("drop", "error")


@dataclass(frozen=True)
class LabelSpec:
    """One label column: its declared classes (strings), or ``None`` for a numeric column."""

    column: str
    classes: tuple[str, ...] | None


@dataclass(frozen=True)
class TableSource:
    """A table split over one or more files with the same layout."""

    files: tuple[str, ...]
    format: str = "tsv"
    header: bool = False
    columns: tuple[str, ...] | None = None  # required when header is False (Parquet: rename)
    id_column: str = ID


@dataclass(frozen=True)
class HydratedSource:
    """Rehydration output files of one tool (``format``: a name of
    :data:`~mtl_pipeline.data.tweets.hydration.HYDRATION_READERS`)."""

    files: tuple[str, ...]
    format: str
    retweet_text: str = "original"  # see read_hydrated


@dataclass(frozen=True)
class ExtraLabels:
    """A second id-keyed table whose label columns are joined onto the dataset (e.g. VADER sd)."""

    source: TableSource
    labels: tuple[LabelSpec, ...]


@dataclass(frozen=True)
class TweetDatasetConfig:
    """A dataset: its label table, where its text comes from, and its label columns."""

    name: str
    source: TableSource
    labels: tuple[LabelSpec, ...]
    text_column: str | None = TEXT  # None: text comes from `hydrated`
    hydrated: HydratedSource | None = None
    extra_labels: tuple[ExtraLabels, ...] = field(default_factory=tuple)
    on_empty_text: str = "drop"  # "drop" (reported) | "error"
    #: the dataset's parameter as the user wrote it (``tweets.datasets.<name>``), for errors;
    #: empty: the name itself
    where: str = ""

    def __post_init__(self) -> None:
        if not self.where:
            object.__setattr__(self, "where", self.name)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file the dataset reads: its table, its rehydration output, its extra labels."""
        hydrated = self.hydrated.files if self.hydrated is not None else ()
        extras = tuple(f for extra in self.extra_labels for f in extra.source.files)
        return (*self.source.files, *hydrated, *extras)
