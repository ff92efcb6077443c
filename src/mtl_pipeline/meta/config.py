"""The meta-model's settings (``meta.meta_model``) and the names of their choices; what each
choice does is described in :mod:`mtl_pipeline.meta.model`."""

from __future__ import annotations

from dataclasses import dataclass

FEATURE_SUBSETS = ("all", "no_curve", "only_curve", "only_ratio")
FEATURE_LISTS = ("all", "released")
SUBSET_LABELS = ("as_named", "as_released")
EVALUATIONS = ("pooled", "per_seed")
CVS = ("stratified", "kfold")
FOLD_SCORINGS = ("pooled_predictions", "fold_mean")
FOLD_SEEDS = ("sequential", "randint100")
SCALERS = ("minmax", "standard")
SCALINGS = ("in_fold", "all_data")
POOLINGS = ("pair_seed", "pair_mean")
METRICS = ("f1", "accuracy", "balanced_accuracy")
STATUS_OK, STATUS_DEGENERATE = "ok", "degenerate"


@dataclass(frozen=True)
class MetaModelConfig:
    """Settings of the meta-model evaluation (paper defaults; see :mod:`.model`); parsed from
    ``meta.meta_model`` by :func:`mtl_pipeline.specs.meta.meta_model_config`, whose errors
    name the parameter."""

    repetitions: int = 100
    folds: int = 5
    seed: int = 0
    features: str = "all"
    subset_labels: str = "as_named"
    evaluation: str = "pooled"
    cv: str = "stratified"
    fold_scoring: str = "pooled_predictions"
    fold_seeds: str = "sequential"
    scaler: str = "minmax"
    scaling: str = "in_fold"
    pooling: str = "pair_seed"
    group_by_pair: bool = True
    C: float = 1.0
    solver: str = "lbfgs"  # sklearn's default today; the paper's 2018 sklearn used "liblinear"
    max_iter: int = 1000
    class_weight: str | None = None
    subsets: tuple[str, ...] = FEATURE_SUBSETS

    def __post_init__(self) -> None:
        for name, allowed in (
            ("features", FEATURE_LISTS),
            ("subset_labels", SUBSET_LABELS),
            ("evaluation", EVALUATIONS),
            ("cv", CVS),
            ("fold_scoring", FOLD_SCORINGS),
            ("fold_seeds", FOLD_SEEDS),
            ("scaler", SCALERS),
            ("scaling", SCALINGS),
            ("pooling", POOLINGS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.repetitions < 1 or self.folds < 2:
            raise ValueError(
                f"meta repetitions must be >= 1 and folds >= 2, got {self.repetitions}, {self.folds}"
            )
        bad = [s for s in self.subsets if s not in FEATURE_SUBSETS]
        if bad:
            raise ValueError(f"unknown feature subset(s) {bad}; known: {FEATURE_SUBSETS}")
        if self.evaluation == "per_seed" and self.pooling != "pair_seed":
            raise ValueError("evaluation 'per_seed' needs pooling 'pair_seed'")
