"""Wiring of the ``meta`` pipeline: the ``newsgroups`` pipeline followed by the meta stage."""

from kedro.pipeline import Pipeline, node, pipeline

from mtl_pipeline.pipelines.meta import nodes
from mtl_pipeline.pipelines.newsgroups.pipeline import create_pipeline as newsgroups_pipeline
from mtl_pipeline.pipelines.stages import staged


def meta_stage() -> Pipeline:
    """Only the meta nodes: features → meta-features → meta-model → report and figures."""
    return pipeline(
        [
            node(
                nodes.compute_dataset_features,
                inputs=["task_pairs", "task_samples", "newsgroups_documents", "params:meta"],
                outputs="dataset_features",
                name="compute_dataset_features",
                tags=["meta_model"],
            ),
            node(
                nodes.compute_curve_features,
                inputs=["task_pairs", "learning_curves", "params:meta"],
                outputs="curve_features",
                name="compute_curve_features",
                tags=["meta_model"],
            ),
            node(
                nodes.compute_warmup_features,
                inputs=[
                    "tfidf_matrix",
                    "task_pairs",
                    "task_samples",
                    "params:newsgroups.model",
                    "params:newsgroups.train",
                    "params:newsgroups.training",
                    "params:meta",
                ],
                outputs="warmup_features",
                name="compute_warmup_features",
                tags=["meta_model"],
            ),
            node(
                nodes.join_features,
                inputs=["mtl_gains", "dataset_features", "curve_features", "warmup_features"],
                outputs="meta_features",
                name="join_meta_features",
                tags=["meta_model"],
            ),
            node(
                nodes.fit_meta_model,
                inputs=["meta_features", "params:meta"],
                outputs=["meta_scores", "meta_coefficients"],
                name="fit_meta_model",
                tags=["meta_model"],
            ),
            node(
                nodes.evaluate_meta_goal,
                inputs=["meta_features", "params:meta"],
                outputs=["meta_ablation", "meta_goal"],
                name="evaluate_meta_goal",
                tags=["meta_model"],
            ),
            node(
                nodes.evaluate_gain_reliability,
                inputs=["mtl_gains", "params:meta"],
                outputs="gain_reliability",
                name="evaluate_gain_reliability",
                tags=["meta_model"],
            ),
            node(
                nodes.evaluate_meta_targets,
                inputs=["meta_features", "gain_reliability", "params:meta"],
                outputs=["meta_targets", "meta_calibration"],
                name="evaluate_meta_targets",
                tags=["meta_model"],
            ),
            node(
                nodes.fit_predictor,
                inputs=["meta_features", "meta_scores", "params:meta", "params:newsgroups"],
                outputs="fitted_meta_model",
                name="fit_meta_predictor",
                tags=["meta_model"],
            ),
            node(
                nodes.compare_with_paper,
                inputs=["mtl_gains", "meta_scores", "learning_curves"],
                outputs="paper_comparison",
                name="compare_with_paper",
                tags=["report"],
            ),
            node(
                nodes.track_paper_comparison,
                inputs="paper_comparison",
                outputs=["table1_metrics", "table2_metrics"],
                name="track_paper_comparison",
                tags=["report"],
            ),
            node(
                nodes.plot_f1_over_epochs,
                inputs=["learning_curves", "task_pairs", "params:meta"],
                outputs=["fig_f1_over_epochs", "fig_f1_over_epochs_pdf"],
                name="plot_f1_over_epochs",
                tags=["report"],
            ),
            node(
                nodes.plot_relative_gains,
                inputs=["mtl_gains", "task_pairs"],
                outputs=[
                    "fig_relative_gains",
                    "fig_relative_gains_pdf",
                    "fig_relative_gains_plotly",
                ],
                name="plot_relative_gains",
                tags=["report"],
            ),
            node(
                nodes.plot_meta_coefficients,
                inputs=["meta_coefficients", "meta_scores", "params:meta"],
                outputs=[
                    "fig_meta_coefficients",
                    "fig_meta_coefficients_pdf",
                    "fig_meta_coefficients_plotly",
                ],
                name="plot_meta_coefficients",
                tags=["report"],
            ),
        ]
    )


@staged
def create_pipeline(**kwargs) -> Pipeline:
    """The whole Kerinec et al. study: ``newsgroups`` (ingest → … → gains) + the meta stage."""
    return newsgroups_pipeline() + meta_stage()
