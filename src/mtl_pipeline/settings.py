"""Project settings (Kedro defaults except where a comment says why)."""

import warnings

# A warning that no project setting can avoid, printed (~15 lines) by every command: omegaconf
# 2.4 deprecates register_new_resolver(), which Kedro 1.7's OmegaConfigLoader and kedro-mlflow
# 2.0.3 still call (the project registers no resolver). (MLflow's warning on importing
# kedro-mlflow is caught where the import is, in mtl_pipeline.tracking: no filter reaches it.)
warnings.filterwarnings(
    "ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning
)

from kedro.config import OmegaConfigLoader  # noqa: E402

from mtl_pipeline.hooks import InputErrorHooks  # noqa: E402
from mtl_pipeline.preflight import PreflightHooks  # noqa: E402
from mtl_pipeline.tracking import TrackingHook  # noqa: E402

# Every run is tracked by kedro-mlflow (conf/base/mlflow.yml). Its own hook, which Kedro would
# register from the plugin's entry point, is replaced by TrackingHook: the same hook with every
# tracking failure turned into one warning, so that tracking never stops a run.
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow",)  # its distribution name, as Kedro matches it
# A user's input error ends `kedro run` with its one-paragraph message, not a traceback;
# parameters, the shard store and output folders are checked before the first node.
HOOKS = (TrackingHook(), InputErrorHooks(), PreflightHooks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Environments such as `quick` and `kerinec_code` override a few nested parameters; a deep
    # ("soft") merge lets them state only what differs from conf/base.
    "merge_strategy": {"parameters": "soft", "mlflow": "soft"},
    # conf/<env>/mlflow.yml: kedro-mlflow's settings (the plugin's own pattern).
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]},
}


def project_parameters(env: str = "base") -> dict:
    """The parameters a run with ``--env env`` sees (the project's own merge), for scripts and
    tests that call nodes without a Kedro session."""
    from pathlib import Path

    conf = Path(__file__).resolve().parents[2] / "conf"
    loader = CONFIG_LOADER_CLASS(str(conf), **{**CONFIG_LOADER_ARGS, "default_run_env": env})
    return loader["parameters"]
