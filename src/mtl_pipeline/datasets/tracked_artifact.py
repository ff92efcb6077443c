"""kedro-mlflow's artefact dataset, versioned like every other catalog entry.

``kedro_mlflow.io.artifacts.MlflowArtifactDataset`` wraps a dataset (here a figure) and logs the
file it saves to the active MLflow run. Its wrapped dataset cannot take ``versioned: true``
(kedro-mlflow 2.0.3 with Kedro 1.x): the wrapped dataset then draws its own save version, and the
catalog refuses it (``VersionAlreadyExistsError: ... All datasets in the catalog must have the
same save version``). This subclass takes ``versioned: true`` at its own level, where Kedro hands
it the run's version, and gives that version to the wrapped dataset (kedro-mlflow's parsing drops
a ``version`` key from the wrapped configuration, so it is set on the built dataset): the figure
lands in ``<path>/<run id>/`` like every other output of the run, and ``--load-versions`` works.
"""

from __future__ import annotations

from typing import Any

from kedro.io.core import Version
from kedro_mlflow.io.artifacts import MlflowArtifactDataset


class TrackedArtifactDataset(MlflowArtifactDataset):
    """``MlflowArtifactDataset`` whose wrapped dataset is versioned with the run."""

    def __new__(
        cls,
        dataset: str | dict[str, Any],
        run_id: str | None = None,
        artifact_path: str | None = None,
        credentials: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        version: Version | None = None,
    ):
        if version is not None:
            dataset = {"type": dataset} if isinstance(dataset, str) else dict(dataset)
            dataset["versioned"] = True
        tracked = super().__new__(
            cls,
            dataset=dataset,
            run_id=run_id,
            artifact_path=artifact_path,
            credentials=credentials,
            metadata=metadata,
        )
        if version is not None:
            tracked._version = version  # the run's Version(load, save), as Kedro passed it
        return tracked
