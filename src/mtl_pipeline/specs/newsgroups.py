"""The ``newsgroups`` parameter block (``conf/*/parameters_newsgroups.yml``) as typed specs.

The block holds the data, the tree and the pairs at its top level, and four blocks for the
models, each parsed on its own so that no key of one can change what another decides:

- ``newsgroups.model``: the MLP (hidden sizes, activation, dropout, sharing, the released
  model's switches) — :func:`model_spec`;
- ``newsgroups.train``: how it is trained and scored while training (batch size, learning
  rate, each kind's epochs, schedule, random draws, the released code's MTL test cut) —
  :func:`train_spec`;
- ``newsgroups.training``: where and how fast (device, shard store, executor; the execution
  block shared with ``tweets.training``, :mod:`.execution`): never part of a fingerprint;
- ``newsgroups.gain``: how the gains are read from the curves (metric, epochs) —
  :func:`gain_spec`.

A model's store key comes from the ModelSpec and TrainSpec built here
(``training.store.spec_fingerprint``), and the curves' ``training_fingerprint`` from the parsed
model and train blocks (:meth:`NewsgroupsTraining.fingerprint`), so a new execution or gain
setting cannot change either. A key written in the block layout before the split
(``newsgroups.training.mtl_epochs``) is an error that says where it now lives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mtl_pipeline.params import ParameterError, Params, check_keys
from mtl_pipeline.provenance import mapping_fingerprint
from mtl_pipeline.specs.execution import execution_spec
from mtl_pipeline.tasks.gains import GAIN_METRICS, GainNames
from mtl_pipeline.tasks.hierarchy import HierarchyNames
from mtl_pipeline.tasks.jobs import RANDOM_DRAWS
from mtl_pipeline.tasks.pair_rules import PAPER_RULES
from mtl_pipeline.tasks.samples import SAMPLING_MODES, SampleNames, SampleSpec
from mtl_pipeline.training import ModelSpec, TrainSpec
from mtl_pipeline.training.executor import ExecutionSpec
from mtl_pipeline.training.families import HARD, SHARING, SOFT
from mtl_pipeline.training.init_schemes import INIT_SCHEMES
from mtl_pipeline.training.output_heads import OUTPUT_HEADS
from mtl_pipeline.training.specs import ACTIVATIONS, SCHEDULES

BLOCK = "newsgroups"
TOP_KEYS = (
    "archive",
    "download_dir",
    "documents",
    "remove_headers_footers_quotes",
    "tfidf",
    "hierarchy",
    "problems",
    "pairs_per_problem",
    "pair_selection_seed",
    "seeds",
    "problem_seeds",
    "train_per_class",
    "sampling",
    "test_per_task",
    "model",
    "train",
    "training",
    "gain",
)
MODEL_KEYS = (
    "hidden_sizes",
    "activation",
    "dropout",
    "sharing",
    "soft_sharing_lambda",
    "weight_init",
    "output_head",
)
TRAIN_KEYS = (
    "batch_size",
    "learning_rate",
    "stl_epochs",
    "mtl_epochs",
    "schedule",
    "random_draws",
    "cut_mtl_test_to_shorter_task",
)
GAIN_KEYS = ("metric", "stl_eval_epoch", "mtl_eval_epoch")
#: The model kinds of the study and the ``newsgroups.train`` key of each one's epochs.
EPOCH_KEYS = {"stl": "stl_epochs", "mtl": "mtl_epochs"}
#: ``newsgroups.training`` keys of the layout before the split → where each lives now.
MOVED_FROM_TRAINING = {
    **{key: f"{BLOCK}.model.{key}" for key in MODEL_KEYS},
    **{key: f"{BLOCK}.train.{key}" for key in TRAIN_KEYS},
    "gain_metric": f"{BLOCK}.gain.metric",
    "stl_eval_epoch": f"{BLOCK}.gain.stl_eval_epoch",
    "mtl_eval_epoch": f"{BLOCK}.gain.mtl_eval_epoch",
}
#: The names the engine's sampling checks use for the ``newsgroups`` keys they read.
SAMPLE_NAMES = SampleNames(
    sampling=f"{BLOCK}.sampling",
    train_size=f"{BLOCK}.train_per_class",
    test_size=f"{BLOCK}.test_per_task",
)
HIERARCHY_NAMES = HierarchyNames(
    hierarchy=f"{BLOCK}.hierarchy",
    problems=f"{BLOCK}.problems",
    problem_seeds=f"{BLOCK}.problem_seeds",
    seeds=f"{BLOCK}.seeds",
    pairs_per_problem=f"{BLOCK}.pairs_per_problem",
)
GAIN_NAMES = GainNames(
    metric=f"{BLOCK}.gain.metric",
    stl_epoch=f"{BLOCK}.gain.stl_eval_epoch",
    mtl_epoch=f"{BLOCK}.gain.mtl_eval_epoch",
)


@dataclass(frozen=True)
class NewsgroupsTrain:
    """``newsgroups.train``: one schedule for both kinds, each with its own epochs."""

    batch_size: int
    learning_rate: float
    schedule: str
    stl_epochs: int
    mtl_epochs: int
    random_draws: str
    cut_mtl_test_to_shorter_task: bool

    def schedule_of(self, kind: str, epochs: int | None = None) -> TrainSpec:
        """The TrainSpec of ``kind`` (stl | mtl), or of a run of ``epochs`` (a warm-up)."""
        return TrainSpec(
            epochs=getattr(self, EPOCH_KEYS[kind]) if epochs is None else epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            schedule=self.schedule,
        )


@dataclass(frozen=True)
class NewsgroupsTraining:
    """What a training node needs: the model, the schedule, the execution."""

    model: ModelSpec
    train: NewsgroupsTrain
    execution: ExecutionSpec

    def fingerprint(self, features_fingerprint: str) -> str:
        """The curves' ``training_fingerprint``: the same for the STL and the MTL curves of one
        run (both kinds' epochs are in it), different when anything they learn from differs."""
        return mapping_fingerprint(
            {
                "model": self.model.fingerprint_fields(),
                "train": dataclasses.asdict(self.train),
                "features": features_fingerprint,
            }
        )


def _block(raw: Mapping[str, Any] | None, name: str, keys: tuple[str, ...]) -> Params:
    where = f"{BLOCK}.{name}"
    check_keys(raw, keys, where)
    return Params(raw, where)


def model_spec(raw: Mapping[str, Any] | None) -> ModelSpec:
    """``newsgroups.model`` as the ModelSpec of every model of the study (STL models are the
    same under both sharing modes: one task, one trunk)."""
    p = _block(raw, "model", MODEL_KEYS)
    sharing = p.choice("sharing", SHARING, default=HARD)
    return ModelSpec(
        encoder="mlp",
        sharing=sharing,
        hidden_sizes=p.integers("hidden_sizes", minimum=1),
        activation=p.choice("activation", ACTIVATIONS),
        dropout=p.number("dropout", minimum=0.0, maximum=1.0, below_maximum=True),
        soft_sharing_lambda=p.number("soft_sharing_lambda", default=1.0, minimum=0.0)
        if sharing == SOFT
        else 0.0,
        weight_init=p.choice("weight_init", tuple(INIT_SCHEMES), default="torch_default"),
        output_head=p.choice("output_head", tuple(OUTPUT_HEADS), default="softmax"),
    )


def train_spec(raw: Mapping[str, Any] | None) -> NewsgroupsTrain:
    """``newsgroups.train``; ``random_draws`` absent = per_seed (tasks.jobs.RANDOM_DRAWS)."""
    p = _block(raw, "train", TRAIN_KEYS)
    return NewsgroupsTrain(
        batch_size=p.integer("batch_size", minimum=1),
        learning_rate=p.number("learning_rate", positive=True),
        schedule=p.choice("schedule", SCHEDULES),
        stl_epochs=p.integer("stl_epochs", minimum=1),
        mtl_epochs=p.integer("mtl_epochs", minimum=1),
        random_draws=p.choice("random_draws", RANDOM_DRAWS, default="per_seed"),
        cut_mtl_test_to_shorter_task=p.boolean("cut_mtl_test_to_shorter_task", default=False),
    )


def training_execution(raw: Mapping[str, Any] | None) -> ExecutionSpec:
    """``newsgroups.training`` (the execution block); a key of the layout before the split
    says where it has moved."""
    return execution_spec(raw, f"{BLOCK}.training", moved=MOVED_FROM_TRAINING)


def training(
    model: Mapping[str, Any] | None,
    train: Mapping[str, Any] | None,
    execution: Mapping[str, Any] | None,
) -> NewsgroupsTraining:
    """``newsgroups.model``, ``newsgroups.train`` and ``newsgroups.training`` together."""
    return NewsgroupsTraining(model_spec(model), train_spec(train), training_execution(execution))


@dataclass(frozen=True)
class GainSpec:
    """``newsgroups.gain``: the learning-curve column and the epochs the gain is read at
    (None = the final epoch, the paper)."""

    metric: str
    stl_epoch: int | None
    mtl_epoch: int | None


def gain_spec(raw: Mapping[str, Any] | None, train: NewsgroupsTrain | None = None) -> GainSpec:
    """``newsgroups.gain``; with ``train``, each epoch is checked against the epochs trained."""
    p = _block(raw, "gain", GAIN_KEYS)
    spec = GainSpec(
        metric=p.choice("metric", GAIN_METRICS),
        stl_epoch=p.optional_integer("stl_eval_epoch", minimum=1),
        mtl_epoch=p.optional_integer("mtl_eval_epoch", minimum=1),
    )
    if train is not None:
        for kind, at in (("stl", spec.stl_epoch), ("mtl", spec.mtl_epoch)):
            trained = getattr(train, EPOCH_KEYS[kind])
            if at is not None and at > trained:
                raise ParameterError(
                    f"parameter {p.name(f'{kind}_eval_epoch')} is {at}, after the last trained "
                    f"epoch ({BLOCK}.train.{EPOCH_KEYS[kind]} = {trained})"
                )
    return spec


def sample_spec(raw: Mapping[str, Any]) -> SampleSpec:
    """The task samples of ``newsgroups`` (``train_per_class``, ``sampling``,
    ``test_per_task``)."""
    p = Params(raw, BLOCK)
    return SampleSpec(
        train_size=p.integer("train_per_class", minimum=1),
        sampling=p.choice("sampling", SAMPLING_MODES, default="per_class"),
        test_size=p.optional_integer("test_per_task", minimum=1),
        names=SAMPLE_NAMES,
    )


@dataclass(frozen=True)
class DocumentSource:
    """Where the documents come from: a user's labelled documents (``documents``, parsed by
    ``data.newsgroups.read_labelled_documents``), else a 20NG archive or folder (``archive``),
    else a download into ``download_dir`` (both null)."""

    documents: Mapping[str, Any] | None
    archive: str | None
    download_dir: str | None
    remove_headers_footers_quotes: bool


#: The parameter names the document readers' errors and log lines use.
DOCUMENTS = f"{BLOCK}.documents"
ARCHIVE = f"{BLOCK}.archive"


def document_source(raw: Mapping[str, Any]) -> DocumentSource:
    """``newsgroups.documents``, ``archive``, ``download_dir``, ``remove_headers_footers_quotes``."""
    p = Params(raw, BLOCK)
    documents = p.raw.get("documents")
    if documents is not None:
        p.section("documents")  # a mapping (its keys are read by the reader)
    return DocumentSource(
        documents=documents,
        archive=None if p.raw.get("archive") is None else p.text("archive"),
        download_dir=None if p.raw.get("download_dir") is None else p.text("download_dir"),
        remove_headers_footers_quotes=p.boolean("remove_headers_footers_quotes", default=False),
    )


@dataclass(frozen=True)
class PairSelection:
    """The task pairs a run studies: the tree (parsed by ``tasks.hierarchy.parse_hierarchy``
    with :data:`HIERARCHY_NAMES`), the pair rules and problems, how many pairs of each problem
    (None: all) drawn with which seed, and the seeds every pair is trained with (or per
    problem)."""

    hierarchy: list
    rules: tuple[str, ...]
    problems: Any
    problem_seeds: Any
    pairs_per_problem: int | None
    pair_selection_seed: int
    seeds: tuple[int, ...]


def hierarchy(raw: Mapping[str, Any]) -> list:
    """``newsgroups.hierarchy``: the tree's entries as written (``parse_hierarchy`` checks
    them, with :data:`HIERARCHY_NAMES`, against the documents' newsgroups)."""
    return Params(raw, BLOCK).items("hierarchy")


def pair_selection(raw: Mapping[str, Any]) -> PairSelection:
    """``newsgroups.hierarchy``, ``problems``, ``problem_seeds``, ``pairs_per_problem``,
    ``pair_selection_seed`` and ``seeds`` (the problems and their seeds are checked against
    the generated pairs by ``tasks.hierarchy.select_problems``)."""
    p = Params(raw, BLOCK)
    return PairSelection(
        hierarchy=hierarchy(raw),
        rules=pair_rules(raw),
        problems=p.raw.get("problems"),
        problem_seeds=p.raw.get("problem_seeds"),
        pairs_per_problem=p.optional_integer("pairs_per_problem", minimum=1),
        pair_selection_seed=p.integer("pair_selection_seed", default=0),
        seeds=p.integers("seeds", minimum=0),
    )


def pair_rules(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The pair rules to generate problems with: the paper's two, and any other registered rule
    (``tasks.pair_rules``) that ``newsgroups.problems`` names; ``select_problems`` then keeps
    the problems named (the paper's two are always generated, so that ``problem_seeds`` may
    name either whichever problems are studied)."""
    problems = raw.get("problems")
    if isinstance(problems, str) or not isinstance(problems, list | tuple):
        return PAPER_RULES
    return (*PAPER_RULES, *(str(p) for p in problems if p not in PAPER_RULES))


def tfidf_max_features(raw: Mapping[str, Any] | None) -> int:
    """``newsgroups.tfidf.max_features``: the vocabulary size."""
    return _block(raw, "tfidf", ("max_features",)).integer("max_features", minimum=1)


def split_training_block(old: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A ``newsgroups.training`` mapping of the layout before the split, as the four blocks
    (``model``, ``train``, ``training``, ``gain``) of today's: for moving a ``conf/local`` or
    an older environment over (README, "Resuming, rerunning after a change")."""
    blocks: dict[str, dict[str, Any]] = {"model": {}, "train": {}, "training": {}, "gain": {}}
    for key, value in old.items():
        if key in MOVED_FROM_TRAINING:
            block, new_key = MOVED_FROM_TRAINING[key].split(".")[1:]
            blocks[block][new_key] = value
        else:
            blocks["training"][key] = value
    return blocks
