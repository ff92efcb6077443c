"""The fitted meta-model: a versioned pickle that says how to make it when it is missing."""

from __future__ import annotations

import pickle
from typing import Any

from kedro.io.core import DatasetError, VersionNotFoundError, get_filepath_str
from kedro_datasets.pickle import PickleDataset

from mtl_pipeline.atomic import write_atomically


class MetaModelDataset(PickleDataset):
    """``pickle.PickleDataset`` written atomically, whose load fails with the command that
    fits the model (``kedro run --pipelines=meta``) when no version has been saved yet."""

    def load(self) -> Any:
        try:
            self._get_load_path()
        except VersionNotFoundError as error:
            raise DatasetError(
                f"no fitted meta-model at {self._filepath} (catalog entry fitted_meta_model): fit it "
                "first with `kedro run --pipelines=meta` (the whole 20NG study), or, when "
                "meta_features exist, `kedro run --pipelines=meta --nodes=meta_model.fit_meta_predictor`"
            ) from error
        return super().load()

    def save(self, data: Any) -> None:
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        write_atomically(self._fs, save_path, lambda h: pickle.dump(data, h, **self._save_args))
        self._invalidate_cache()
