"""The MLflow hook's pure helpers (the run record itself is checked by the e2e meta/tweets test)."""

from kedro.runner import SequentialRunner

from mtl_pipeline.hooks import _class_name, _figure_file, flatten_params


def test_parameters_are_flattened_to_dotted_text():
    flat = flatten_params({"training": {"epochs": 8, "sizes": [100, 100]}, "seed": 0}, "news.")
    assert flat == {
        "news.training.epochs": "8",
        "news.training.sizes": "[100, 100]",
        "news.seed": "0",
    }
    assert len(flatten_params({"long": "x" * 10_000})["long"]) == 500


def test_runner_is_named_by_class_and_figures_by_format():
    assert _class_name(SequentialRunner()) == "SequentialRunner"
    assert _class_name(repr(SequentialRunner())) == "SequentialRunner"
    assert _figure_file("fig_relative_gains_pdf", _matplotlib_figure()) == "fig_relative_gains.pdf"
    assert _figure_file("fig_relative_gains", _matplotlib_figure()) == "fig_relative_gains.png"
    assert _figure_file("fig_relative_gains_plotly", object()) == "fig_relative_gains.html"


def _matplotlib_figure():
    from matplotlib.figure import Figure

    return Figure()
