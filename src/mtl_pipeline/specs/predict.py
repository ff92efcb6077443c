"""The ``predict`` parameter block (``conf/*/parameters_predict.yml``) as a typed spec."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mtl_pipeline.meta.predict import PredictNames
from mtl_pipeline.params import ParameterError, Params, check_keys
from mtl_pipeline.specs.newsgroups import HIERARCHY_NAMES

PREDICT_KEYS = ("pairs", "seeds", "stl_curves", "top_features", "min_training_examples")
#: The pairs named in ``predict.pairs``, read against ``newsgroups.hierarchy``, with the seeds
#: of ``predict.seeds``.
PAIR_NAMES = dataclasses.replace(HIERARCHY_NAMES, pairs="predict.pairs", seeds="predict.seeds")
#: The names the engine's answers and errors use for the settings it reads.
PREDICT_NAMES = PredictNames(
    stl_curves="predict.stl_curves",
    min_training_examples="predict.min_training_examples",
    pairs_per_problem=HIERARCHY_NAMES.pairs_per_problem,
    seeds=HIERARCHY_NAMES.seeds,
)


@dataclass(frozen=True)
class PredictSpec:
    """The pairs to predict (as written: checked against the hierarchy by
    ``tasks.hierarchy.named_pairs``), their seeds, and how the answers are made."""

    pairs: Any
    seeds: tuple[int, ...]
    stl_curves: bool  # train the two tasks' single-task models for the curve features
    top_features: int  # features listed as the drivers of each answer
    min_training_examples: int  # fewer meta-examples than this: the answer is flagged unreliable


def predict_spec(params: Mapping[str, Any]) -> PredictSpec:
    """``predict``: every key required (conf/base/parameters_predict.yml sets them all)."""
    check_keys(params, PREDICT_KEYS, "predict")
    missing = [key for key in PREDICT_KEYS if key not in params]
    if missing:
        raise ParameterError(
            f"parameter predict.{missing[0]} is required but not set "
            "(conf/base/parameters_predict.yml)"
        )
    p = Params(params, "predict")
    return PredictSpec(
        pairs=p.raw["pairs"],
        seeds=p.integers("seeds", minimum=0),
        stl_curves=p.boolean("stl_curves"),
        top_features=p.integer("top_features", minimum=1),
        min_training_examples=p.integer("min_training_examples", minimum=1),
    )
