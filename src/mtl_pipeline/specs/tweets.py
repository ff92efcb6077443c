"""The ``tweets`` parameter block (``conf/*/parameters_tweets.yml``) as typed specs, parsed once
at the node boundary.

Every setting is checked here and named as the user wrote it (``tweets.train.learning_rate``,
``tweets.datasets.vader.extra_labels[0].columns``); an unknown key of any block is an error
naming the nearest known key. The engine receives the dataclasses of
:mod:`mtl_pipeline.tweets_study.settings`, :mod:`mtl_pipeline.data.tweets.config` and
:mod:`mtl_pipeline.tasks.tweets`, never the raw mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mtl_pipeline.data.tweets import (
    ID,
    TABLE_FORMATS,
    TEXT,
    ExtraLabels,
    HydratedSource,
    LabelSpec,
    TableSource,
    TweetDataError,
    TweetDatasetConfig,
)
from mtl_pipeline.data.tweets.config import EMPTY_TEXT_ACTIONS, RETWEET_TEXT
from mtl_pipeline.data.tweets.hydration import HYDRATION_READERS
from mtl_pipeline.params import (
    DEGENERATE_ACTIONS,
    OnDegenerate,
    ParameterError,
    Params,
    check_keys,
)
from mtl_pipeline.specs.execution import execution_spec
from mtl_pipeline.tasks.tweets import (
    TASK_RULES,
    THRESHOLD_OPS,
    TRANSFORMS,
    TaskConfigError,
    TweetPair,
    TweetTask,
)
from mtl_pipeline.text.glove import UNKNOWN_VECTORS
from mtl_pipeline.training import ModelSpec, TrainSpec
from mtl_pipeline.training.specs import ACTIVATIONS, SCHEDULES, SEQUENCE_ENCODERS
from mtl_pipeline.tweets_study.settings import (
    AblationSpec,
    CVSpec,
    EmbeddingSettings,
    EncoderSettings,
    RunPairs,
    TextSettings,
    TrainingSettings,
)

BLOCK = "tweets"
TOP_KEYS = (
    "data_dir",
    "on_degenerate_task",
    "datasets",
    "tasks",
    "pairs",
    "run_pairs",
    "text",
    "embedding",
    "model",
    "train",
    "device",
    "training",
    "cv",
    "significance",
    "ablation",
)
MODEL_KEYS = (
    "encoders",
    "units",
    "head_hidden",
    "dropout",
    "activation",
    "kernel_sizes",
    "train_embedding",
    "options",
)
TRAIN_KEYS = ("epochs", "batch_size", "learning_rate", "schedule", "eval_every")
CV_KEYS = ("n_folds", "seed", "model_seed")
ABLATION_KEYS = ("encoders", "shares", "both_directions", "seed")
TEXT_KEYS = ("min_count", "max_length")
EMBEDDING_KEYS = ("glove_path", "unknown", "seed")
SIGNIFICANCE_KEYS = ("alpha",)
TABLE_KEYS = ("files", "format", "header", "columns", "id_column")
DATASET_KEYS = (
    *TABLE_KEYS,
    "labels",
    "text_column",
    "hydrated",
    "extra_labels",
    "on_empty_text",
)
HYDRATED_KEYS = ("format", "files", "retweet_text")
EXTRA_LABELS_KEYS = (*TABLE_KEYS, "labels")
TASK_KEYS = (
    "dataset",
    "column",
    "rule",
    "classes",
    "class_names",
    "positive_class",
    "op",
    "value",
    "transform",
)
#: The switch of what a one-class task does to its pair (OnDegenerate.parameter).
DEGENERATE_SWITCH = f"{BLOCK}.on_degenerate_task"
#: The pairs a run trains (all of ``tweets.pairs`` when null).
RUN_PAIRS = f"{BLOCK}.run_pairs"


def _block(params: Mapping[str, Any]) -> Params:
    """The ``tweets`` block, its keys checked."""
    check_keys(params, TOP_KEYS, BLOCK)
    return Params(params, BLOCK)


def _section(
    params: Mapping[str, Any], key: str, allowed: Sequence[str], required: bool = True
) -> Params:
    """``tweets.<key>``, its keys checked against ``allowed``."""
    section = _block(params).section(key, required=required)
    check_keys(section.raw, allowed, section.where)
    return section


# --------------------------------------------------------------------------- models and training


def train_spec(p: Params) -> TrainSpec:
    """``tweets.train``: the schedule every encoder trains on."""
    check_keys(p.raw, TRAIN_KEYS, p.where)
    return TrainSpec(
        epochs=p.integer("epochs", minimum=1),
        batch_size=p.integer("batch_size", minimum=1),
        learning_rate=p.number("learning_rate", default=1e-3, positive=True),
        schedule=p.choice("schedule", SCHEDULES, default="pooled"),
        eval_every=p.integer("eval_every", default=1, minimum=1),
    )


def training_settings(params: Mapping[str, Any]) -> TrainingSettings:
    """``tweets.model``, ``tweets.train``, ``tweets.device``, ``tweets.training`` (execution)."""
    top = _block(params)
    m = _section(params, "model", MODEL_KEYS)
    encoders = m.choices("encoders", SEQUENCE_ENCODERS)
    model = EncoderSettings(
        units=m.integer("units", default=25, minimum=1),
        head_hidden=m.integer("head_hidden", default=25, minimum=0),
        dropout=m.number("dropout", default=0.25, minimum=0.0, maximum=1.0, below_maximum=True),
        activation=m.choice("activation", ACTIVATIONS, default="relu"),
        kernel_sizes=m.integers("kernel_sizes", default=(3,), minimum=1),
        train_embedding=m.boolean("train_embedding", default=False),
        options=_encoder_options(m, encoders),
    )
    return TrainingSettings(
        encoders=encoders,
        model=model,
        train=train_spec(top.section("train")),
        execution=execution_spec(
            {"device": top.text("device", default="auto"), **top.section("training", False).raw},
            f"{BLOCK}.training",
        ),
    )


def _encoder_options(m: Params, encoders: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``tweets.model.options`` (absent = none): a mapping per encoder of ``encoders``, each
    checked by its family (``ModelSpec.options``)."""
    raw = m.section("options", False).raw
    bad = [name for name in raw if name not in encoders]
    if bad:
        raise ParameterError(
            f"parameter {m.name('options')} names {bad}; expected entries of {list(encoders)} "
            f"({m.name('encoders')})"
        )
    options = {str(name): dict(Params(raw, m.name("options")).section(name).raw) for name in raw}
    for name, values in options.items():
        try:
            ModelSpec(encoder=name, options=values)
        except ValueError as error:
            raise ParameterError(f"parameter {m.name('options')}.{name}: {error}") from None
    return options


# --------------------------------------------------------------------------- the study's protocol


def on_degenerate(params: Mapping[str, Any]) -> OnDegenerate:
    """``tweets.on_degenerate_task``: 'error' (default) stops the run, 'drop' drops the pair."""
    action = _block(params).choice("on_degenerate_task", DEGENERATE_ACTIONS, "error")
    return OnDegenerate(action, DEGENERATE_SWITCH)


def cv_spec(params: Mapping[str, Any]) -> CVSpec:
    """``tweets.cv``, with the degenerate-fold switch."""
    cv = _section(params, "cv", CV_KEYS)
    return CVSpec(
        n_folds=cv.integer("n_folds", minimum=2),
        seed=cv.integer("seed", default=0, minimum=0),
        model_seed=cv.integer("model_seed", default=0, minimum=0),
        on_degenerate=on_degenerate(params),
        n_folds_parameter=cv.name("n_folds"),
    )


def ablation_spec(params: Mapping[str, Any], encoders: tuple[str, ...]) -> AblationSpec:
    """``tweets.ablation``; its encoders default to the first of ``tweets.model.encoders``."""
    a = _section(params, "ablation", ABLATION_KEYS)
    raw_shares = a.items("shares")
    listed = Params(dict(enumerate(raw_shares)), a.name("shares"))
    shares = {listed.number(i, minimum=0.0, maximum=1.0) for i in range(len(raw_shares))}  # type: ignore[arg-type]
    return AblationSpec(
        encoders=a.choices("encoders", SEQUENCE_ENCODERS, default=encoders[:1]),
        shares=tuple(sorted(shares)),
        both_directions=a.boolean("both_directions", default=True),
        seed=a.integer("seed", default=0, minimum=0),
        shares_parameter=a.name("shares"),
    )


def _sub_block(raw: Mapping[str, Any] | None, key: str, allowed: Sequence[str]) -> Params:
    """``tweets.<key>`` given alone (a node that reads ``params:tweets.<key>``), its keys
    checked."""
    check_keys(raw, allowed, f"{BLOCK}.{key}")
    return Params(raw, f"{BLOCK}.{key}")


def text_settings(raw: Mapping[str, Any]) -> TextSettings:
    """``tweets.text`` (the block itself)."""
    t = _sub_block(raw, "text", TEXT_KEYS)
    return TextSettings(
        min_count=t.integer("min_count", minimum=1), max_length=t.integer("max_length", minimum=1)
    )


def embedding_settings(raw: Mapping[str, Any] | None) -> EmbeddingSettings:
    """``tweets.embedding`` (the block itself; ``glove_path`` null: the packaged GloVe 6B
    50d)."""
    e = _sub_block(raw, "embedding", EMBEDDING_KEYS)
    return EmbeddingSettings(
        glove_path=None if e.raw.get("glove_path") is None else e.text("glove_path"),
        unknown=e.choice("unknown", UNKNOWN_VECTORS, default="random"),
        seed=e.integer("seed", default=0, minimum=0),
        glove_path_parameter=e.name("glove_path"),
    )


def significance_alpha(raw: Mapping[str, Any] | None) -> float:
    """``tweets.significance.alpha`` (given the block itself): a paired t-test is significant
    at p < alpha."""
    s = _sub_block(raw, "significance", SIGNIFICANCE_KEYS)
    return s.number("alpha", default=0.05, positive=True, maximum=1.0, below_maximum=True)


# --------------------------------------------------------------------------- data


def data_dir(
    params: Mapping[str, Any], configs: Mapping[str, TweetDatasetConfig], wanted: Sequence[str]
) -> Path:
    """``tweets.data_dir`` as a path, when it holds at least one file of the wanted datasets.

    A run without data stops here with what is missing and how to set it, before any file is
    read.
    """
    p = _block(params)
    value, parameter = p.text("data_dir"), p.name("data_dir")
    fix = (
        "Put the tweet files there (see data/01_raw/tweets/README.md) or point the parameter at "
        f"them: kedro run --pipelines=tweets --params {parameter}=/path/to/tweets"
    )
    path = Path(value)
    if not path.is_dir():
        raise TweetDataError(
            f"parameter {parameter} is {value!r}: no such folder ({path.resolve()}). {fix}"
        )
    expected = [f for name in wanted for f in configs[name].files]
    if expected and not any((path / f).is_file() for f in expected):
        raise TweetDataError(
            f"parameter {parameter} is {value!r}: none of the {len(expected)} files of "
            f"datasets {list(wanted)} is there (e.g. {expected[0]}). {fix}"
        )
    return path


def dataset_configs(params: Mapping[str, Any]) -> dict[str, TweetDatasetConfig]:
    """Every dataset of ``tweets.datasets`` (an entry set to null is left out)."""
    raw = _block(params).section("datasets").raw
    return {
        str(name): dataset_config(str(name), spec) for name, spec in raw.items() if spec is not None
    }


def dataset_config(name: str, raw: Mapping[str, Any]) -> TweetDatasetConfig:
    """``tweets.datasets.<name>``: its table, its text (a column or rehydration output), its
    labels and extra label tables."""
    where = f"{BLOCK}.datasets.{name}"
    if not isinstance(raw, Mapping):
        raise TweetDataError(f"parameter {where} must be a mapping, got {type(raw).__name__}")
    check_keys(raw, DATASET_KEYS, where)
    source = _table_source(raw, where)
    labels = _label_specs(raw.get("labels"), f"{where}.labels")
    hydrated = None if raw.get("hydrated") is None else _hydrated(raw["hydrated"], where)
    text_column = raw.get("text_column", None if hydrated else TEXT)
    if hydrated is not None and text_column is not None:
        raise TweetDataError(
            f"parameter {where}: give either text_column (text in the table) or hydrated "
            "(text from rehydration output), not both"
        )
    on_empty = str(raw.get("on_empty_text", "drop"))
    if on_empty not in EMPTY_TEXT_ACTIONS:
        raise TweetDataError(
            f"parameter {where}.on_empty_text is {on_empty!r}; expected 'drop' or 'error'"
        )
    return TweetDatasetConfig(
        name=name,
        source=source,
        labels=labels,
        text_column=text_column,
        hydrated=hydrated,
        extra_labels=_extra_labels(raw.get("extra_labels") or [], where),
        on_empty_text=on_empty,
        where=where,
    )


def _hydrated(h: Any, where: str) -> HydratedSource:
    if not isinstance(h, Mapping):
        raise TweetDataError(
            f"parameter {where}.hydrated must be a mapping {{format: ..., files: [...]}}, got {h!r}"
        )
    check_keys(h, HYDRATED_KEYS, f"{where}.hydrated")
    fmt = str(h.get("format", ""))
    if fmt not in HYDRATION_READERS:
        raise TweetDataError(
            f"parameter {where}.hydrated.format is {fmt!r}; expected one of "
            f"{tuple(HYDRATION_READERS)}"
        )
    retweet_text = str(h.get("retweet_text", "original"))
    if retweet_text not in RETWEET_TEXT:
        raise TweetDataError(
            f"parameter {where}.hydrated.retweet_text is {retweet_text!r}; expected one "
            f"of {list(RETWEET_TEXT)}"
        )
    return HydratedSource(
        files=_files(h.get("files"), f"{where}.hydrated.files"),
        format=fmt,
        retweet_text=retweet_text,
    )


def _extra_labels(extra_raw: Any, where: str) -> tuple[ExtraLabels, ...]:
    if not isinstance(extra_raw, list) or not all(isinstance(e, Mapping) for e in extra_raw):
        raise TweetDataError(
            f"parameter {where}.extra_labels must be a list of tables (files, columns, "
            f"labels), got {extra_raw!r}"
        )
    extras = []
    for i, e in enumerate(extra_raw):
        ew = f"{where}.extra_labels[{i}]"
        check_keys(e, EXTRA_LABELS_KEYS, ew)
        extras.append(
            ExtraLabels(_table_source(e, ew), _label_specs(e.get("labels"), f"{ew}.labels"))
        )
    return tuple(extras)


def _files(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not raw:
        raise TweetDataError(f"parameter {where} must list at least one file")
    return tuple(str(f) for f in raw)


def _table_source(raw: Mapping[str, Any], where: str) -> TableSource:
    files = _files(raw.get("files"), f"{where}.files")
    fmt = raw.get("format")
    if fmt is None:  # from the first file's suffix
        suffix = Path(files[0]).suffix.lower()
        fmt = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "tsv")
    if fmt not in TABLE_FORMATS:
        raise TweetDataError(
            f"parameter {where}.format is {fmt!r}; expected one of {TABLE_FORMATS}"
        )
    header = bool(raw.get("header", fmt == "parquet"))
    columns = raw.get("columns") or None
    if columns is not None and (isinstance(columns, str) or not isinstance(columns, Sequence)):
        raise TweetDataError(
            f"parameter {where}.columns must list the column names in file order, got {columns!r}"
        )
    columns = tuple(str(c) for c in columns) if columns is not None else None
    if not header and columns is None:
        raise TweetDataError(
            f"parameter {where}: header is false, so columns must name the columns in file order"
        )
    return TableSource(
        files=files,
        format=fmt,
        header=header,
        columns=columns,
        id_column=str(raw.get("id_column", ID)),
    )


def _label_specs(raw: Any, where: str) -> tuple[LabelSpec, ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise TweetDataError(
            f"parameter {where} must map each label column to its classes (a list) or to 'numeric'"
        )
    specs = []
    for col, classes in raw.items():
        if classes == "numeric":
            specs.append(LabelSpec(str(col), None))
        elif isinstance(classes, Sequence) and not isinstance(classes, str) and classes:
            specs.append(LabelSpec(str(col), tuple(str(c) for c in classes)))
        else:
            raise TweetDataError(
                f"parameter {where}.{col} must be a non-empty list of classes "
                f"or 'numeric', got {classes!r}"
            )
    return tuple(specs)


# --------------------------------------------------------------------------- tasks and pairs


def tweet_task(name: str, raw: Mapping[str, Any]) -> TweetTask:
    """``tweets.tasks.<name>``: a dataset's column and the rule that makes it class ids."""
    where = f"{BLOCK}.tasks.{name}"
    if not isinstance(raw, Mapping):
        raise TaskConfigError(
            f"parameter {where} must be a mapping (dataset, column, rule, ...), got {raw!r}"
        )
    check_keys(raw, TASK_KEYS, where)
    for key in ("dataset", "column", "rule"):
        if not raw.get(key):
            raise TaskConfigError(f"parameter {where}.{key} is required")
    rule = str(raw["rule"])
    classes = tuple(str(c) for c in raw.get("classes") or ())
    if rule not in TASK_RULES:
        raise TaskConfigError(
            f"parameter {where}.rule is {rule!r}; expected 'identity' or 'threshold'"
        )
    if rule == "identity":
        names = _identity_class_names(raw, classes, where)
    else:
        names = _threshold_class_names(raw, where)
    positive = Params(raw, where).integer("positive_class", default=1)
    if not 0 <= positive < len(names):
        raise TaskConfigError(
            f"parameter {where}.positive_class {positive} is not a class id in [0, {len(names)})"
        )
    value = raw.get("value", 0)
    return TweetTask(
        name=name,
        dataset=str(raw["dataset"]),
        column=str(raw["column"]),
        rule=rule,
        classes=classes,
        class_names=names,
        positive_class=positive,
        op=str(raw.get("op", ">")),
        value=value if value == "median" else float(value),
        transform=str(raw.get("transform", "none")),
        where=where,
    )


def _identity_class_names(
    raw: Mapping[str, Any], classes: tuple[str, ...], where: str
) -> tuple[str, ...]:
    """The class names of an ``identity`` task (default: its raw values), one per class."""
    if len(classes) < 2:
        raise TaskConfigError(
            f"parameter {where}.classes must list >= 2 raw values (rule identity)"
        )
    names = tuple(str(c) for c in raw.get("class_names") or classes)
    if len(names) != len(classes):
        raise TaskConfigError(
            f"parameter {where}.class_names has {len(names)} names for {len(classes)} classes"
        )
    return names


def _threshold_class_names(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The two class names of a ``threshold`` task, once its op, transform and value are
    checked."""
    names = tuple(str(c) for c in raw.get("class_names") or ("no", "yes"))
    if len(names) != 2:
        raise TaskConfigError(
            f"parameter {where}.class_names: a threshold rule has 2 classes, got {list(names)}"
        )
    if str(raw.get("op", ">")) not in THRESHOLD_OPS:
        raise TaskConfigError(
            f"parameter {where}.op is {raw.get('op')!r}; expected one of {list(THRESHOLD_OPS)}"
        )
    if str(raw.get("transform", "none")) not in TRANSFORMS:
        raise TaskConfigError(f"parameter {where}.transform must be 'none' or 'abs'")
    value = raw.get("value", 0)
    if not (value == "median" or isinstance(value, int | float)):
        raise TaskConfigError(
            f"parameter {where}.value must be a number or 'median', got {value!r}"
        )
    return names


def load_tasks(params: Mapping[str, Any]) -> dict[str, TweetTask]:
    """All task definitions of ``tweets.tasks``."""
    raw = _block(params).section("tasks", required=False).raw
    return {str(name): tweet_task(str(name), spec) for name, spec in raw.items()}


def load_pairs(params: Mapping[str, Any], tasks: Mapping[str, TweetTask]) -> dict[str, TweetPair]:
    """Pairs of ``tweets.pairs`` (each two task names), checked against the defined tasks."""
    pairs = {}
    for name, members in (params.get("pairs") or {}).items():
        where = f"{BLOCK}.pairs.{name}"
        if not isinstance(members, list | tuple) or len(members) != 2:
            raise TaskConfigError(f"parameter {where} must name exactly two tasks, got {members!r}")
        for t in members:
            if t not in tasks:
                raise TaskConfigError(
                    f"parameter {where}: task {t!r} is not defined "
                    f"under {BLOCK}.tasks (defined: {sorted(tasks)})"
                )
        if members[0] == members[1]:
            raise TaskConfigError(f"parameter {where}: the two tasks are the same")
        pairs[name] = TweetPair(name, str(members[0]), str(members[1]))
    return pairs


def selected_pairs(
    params: Mapping[str, Any], tasks: Mapping[str, TweetTask] | None = None
) -> list[TweetPair]:
    """The pairs named in ``tweets.run_pairs`` (all pairs when absent or null), in that order.

    ``tasks`` is ``load_tasks(params)``, parsed here when not given.
    """
    pairs = load_pairs(params, load_tasks(params) if tasks is None else tasks)
    p = _block(params)
    names = list(pairs) if p.raw.get("run_pairs") is None else p.items("run_pairs")
    missing = [n for n in names if n not in pairs]
    if missing:
        raise TaskConfigError(
            f"parameter {p.name('run_pairs')} names {missing}, not defined under "
            f"{BLOCK}.pairs (defined: {sorted(pairs)})"
        )
    return [pairs[n] for n in names]


def run_pairs(params: Mapping[str, Any]) -> RunPairs:
    """Tasks and selected pairs; every task's dataset must be configured."""
    tasks = load_tasks(params)
    pairs = tuple(selected_pairs(params, tasks))
    if not pairs:
        raise ParameterError(
            "parameters tweets.pairs / tweets.run_pairs select no pair; name at least one"
        )
    configured = {n for n, s in (params.get("datasets") or {}).items() if s is not None}
    for pair in pairs:
        for name in (pair.main, pair.aux):
            if tasks[name].dataset not in configured:
                raise ParameterError(
                    f"parameter {tasks[name].where}.dataset is {tasks[name].dataset!r}, "
                    f"not a dataset under tweets.datasets (configured: {sorted(configured)})"
                )
    return RunPairs(tasks, pairs)
