"""Project settings (Kedro defaults except where a comment says why)."""

from kedro.config import OmegaConfigLoader

from mtl_pipeline.hooks import InputErrorHooks, MlflowTrackingHook
from mtl_pipeline.preflight import PreflightHooks

# Every run is tracked in MLflow (conf/base/mlflow.yml; off without mlflow installed).
# A user's input error ends `kedro run` with its one-paragraph message, not a traceback;
# parameters, the shard store and output folders are checked before the first node.
HOOKS = (MlflowTrackingHook(), InputErrorHooks(), PreflightHooks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Environments such as `quick` and `kerinec_code` override a few nested parameters; a deep
    # ("soft") merge lets them state only what differs from conf/base.
    "merge_strategy": {"parameters": "soft", "mlflow": "soft"},
    # conf/<env>/mlflow.yml: run-tracking settings read by MlflowTrackingHook.
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**"]},
}
