"""The notebooks' guard: one message naming the pipeline to run when its outputs are missing."""

import pytest

from mtl_pipeline.reporting.notebooks import MissingRunError, require_run


class _Catalog:
    def __init__(self, saved):
        self.saved = set(saved)

    def exists(self, name):
        return name in self.saved


def test_missing_outputs_name_the_pipeline_and_the_command():
    command = "kedro run --pipelines=tweets --env quick"
    with pytest.raises(MissingRunError) as missing:
        require_run(_Catalog({"a"}), ["a", "b", "c"], pipeline="tweets", command=command)
    message = str(missing.value)
    assert message.startswith("The `tweets` pipeline has not been run in this project yet")
    assert "no saved b, c." in message and command in message
    require_run(_Catalog({"a", "b"}), ["a", "b"], pipeline="tweets", command=command)  # no error
