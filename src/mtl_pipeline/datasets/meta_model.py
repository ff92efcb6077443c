"""The fitted meta-model: a versioned JSON document (data, not code) that says how to make it
when it is missing."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from kedro.io.core import DatasetError, VersionNotFoundError, get_filepath_str
from kedro_datasets.json import JSONDataset

from mtl_pipeline.atomic import write_atomically
from mtl_pipeline.meta.predict import FIT_COMMAND
from mtl_pipeline.meta.stored import (
    StoredModelError,
    predictor_document,
    predictor_from_document,
)
from mtl_pipeline.params import InputError


class MetaModelFileError(DatasetError, InputError):
    """No saved meta-model, or a file that is not one: a DatasetError (Kedro passes it on
    unchanged) and an InputError (the run ends with its message alone)."""


class MetaModelDataset(JSONDataset):
    """``json.JSONDataset`` holding a :class:`~mtl_pipeline.meta.predict.MetaPredictor` as its
    parameters (:mod:`mtl_pipeline.meta.stored`), written atomically; its load rebuilds the
    model and fails with the command that fits it when no version has been saved yet.

    Former versions were pickles (``fitted_meta_model.pkl``): they are never loaded (a pickle
    runs code on load); the missing-model error says so when one lies beside the entry.
    """

    def load(self) -> Any:
        try:
            load_path = get_filepath_str(self._get_load_path(), self._protocol)
        except VersionNotFoundError as error:
            raise MetaModelFileError(self._missing_message()) from error
        with self._fs.open(load_path, mode="r", encoding="utf-8") as handle:
            try:
                document = json.load(handle)
            except ValueError as error:
                document = error
        if isinstance(document, ValueError):
            raise MetaModelFileError(
                f"{load_path} is not valid JSON ({document}); refit it: {FIT_COMMAND}"
            )
        try:
            return predictor_from_document(document, load_path)
        except StoredModelError as error:
            raise MetaModelFileError(str(error)) from None

    def _missing_message(self) -> str:
        message = (
            f"no fitted meta-model at {self._filepath} (catalog entry fitted_meta_model): fit it "
            f"first with `{FIT_COMMAND}` (the whole 20NG study), or, when meta_features exist, "
            f"`{FIT_COMMAND} --nodes=meta_model.fit_meta_predictor`"
        )
        legacy = PurePosixPath(self._filepath).with_suffix(".pkl")
        if self._fs.exists(str(legacy)):
            message += (
                f". The pickled model at {legacy} (the former format) is not loaded, because "
                "loading a pickle runs code; refitting writes the new format"
            )
        return message

    def save(self, data: Any) -> None:
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        text = json.dumps(predictor_document(data), sort_keys=True, indent=1)
        write_atomically(self._fs, save_path, lambda h: h.write(text.encode("utf-8")))
        self._invalidate_cache()
