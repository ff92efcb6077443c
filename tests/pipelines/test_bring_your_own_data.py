"""A user's own tweets, tasks and pair from YAML alone, and what a user sees when input is bad."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from mtl_pipeline.data.tweets import split_tweet_datasets
from mtl_pipeline.params import DegenerateTaskError
from tests.pipelines.kedro_run import load, run_pipeline

WORDS = {
    (0, 0): "sunny day walk park friends happy lunch music",
    (0, 1): "got my vaccine today arm sore clinic nurse shot",
    (1, 0): "fever cough headache bed sick tired flu aches",
    (1, 1): "sick with flu should have got the vaccine shot",
}

# What the user writes: conf/byod/parameters_tweets.yml (an environment of their own).
BYOD_PARAMETERS = """
tweets:
  data_dir: {data_dir}
  datasets:
    my_health:
      files: [my_health_labels.tsv]      # tweet_id<TAB>sick<TAB>vaccine, no header
      columns: [tweet_id, sick, vaccine]
      labels: {{sick: ["0", "1"], vaccine: ["0", "1"]}}
      hydrated: {{format: twarc2, files: [my_health.jsonl]}}   # twarc2 hydrate output
  tasks:
    my_sickness:
      dataset: my_health
      column: sick
      rule: identity
      classes: ["0", "1"]
      class_names: [healthy, sick]
    my_vaccination:
      dataset: my_health
      column: vaccine
      rule: identity
      classes: ["0", "1"]
      class_names: [other, vaccine]
  pairs:
    mine: [my_sickness, my_vaccination]
  run_pairs: [mine]
  model: {{encoders: [cnn]}}
  train: {{epochs: 1, batch_size: 32}}
  cv: {{n_folds: 2}}
  ablation: {{encoders: [cnn], shares: [0.0, 1.0], both_directions: false}}
"""


def _user_files(folder: Path, n: int = 48) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    rows, tweets = [], []
    for i in range(n):
        sick, vaccine = i % 2, (i // 2) % 2
        tid = str(1_300_000_000_000_000_000 + i)
        words = WORDS[(sick, vaccine)].split()
        text = " ".join(rng.permutation(words)[:6])
        rows.append(f"{tid}\t{sick}\t{vaccine}\n")
        tweets.append({"id": tid, "text": text, "author_id": "12", "lang": "en"})
    (folder / "my_health_labels.tsv").write_text("".join(rows))
    pages = [
        {"data": tweets[: n // 2], "__twarc": {"version": "2.14.0"}},
        {"data": tweets[n // 2 :], "__twarc": {"version": "2.14.0"}},
    ]
    (folder / "my_health.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pages))


def _byod_env(project: Path, data_dir: Path, **overrides) -> None:
    params = yaml.safe_load(BYOD_PARAMETERS.format(data_dir=data_dir))
    for dotted, value in overrides.items():
        node = params["tweets"]
        *path, last = dotted.split(".")
        for key in path:
            node = node.setdefault(key, {})
        node[last] = value
    (project / "conf/byod").mkdir()
    (project / "conf/byod/parameters_tweets.yml").write_text(yaml.safe_dump(params))


def test_dataset_task_and_pair_added_in_yaml_only_run_end_to_end(project_copy, tmp_path):
    _user_files(tmp_path / "mine")
    _byod_env(project_copy, tmp_path / "mine")
    run_pipeline(project_copy, "tweets", env="byod")

    report = load(project_copy, "rehydration_report", env="byod")
    assert report["dataset"].tolist() == ["my_health"]  # the configured dataset the run uses
    assert report["n_kept"].tolist() == [48]
    tables = split_tweet_datasets(load(project_copy, "tweet_datasets", env="byod"))
    assert list(tables) == ["my_health"]
    assert tables["my_health"].columns.tolist() == ["tweet_id", "text", "sick", "vaccine"]
    results = load(project_copy, "tweet_results", env="byod")
    assert set(results["pair"]) == {"mine"} and set(results["encoder"]) == {"cnn"}
    assert (results["n_folds"] == 2).all()


def test_one_class_threshold_task_stops_the_run_with_one_message(project_copy, tmp_path):
    _user_files(tmp_path / "mine")
    vader = {"dataset": "my_health", "column": "sick", "rule": "threshold", "value": 100}
    _byod_env(project_copy, tmp_path / "mine", **{"tasks.my_sickness": vader})
    with pytest.raises(DegenerateTaskError) as err:
        run_pipeline(project_copy, "tweets", env="byod")
    assert str(err.value) == (
        "task 'my_sickness': the labelled data of pair mine (dataset my_health) has one class "
        "or none (class counts {'no': 48, 'yes': 0}); a one-class split gives meaningless scores "
        "(accuracy 1.0, F1 0.0). Fix the data or the task definition, or set the parameter "
        "tweets.on_degenerate_task to 'drop' to drop such tasks with a warning."
    )


def test_run_without_tweet_data_ends_with_one_short_message(project_copy):
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", "COLUMNS": "200"}
    env["PYTHONPATH"] = str(project_copy / "src")
    done = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipelines=tweets", "--env", "quick"],
        cwd=project_copy,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Traceback" not in output
    assert output.rstrip().splitlines()[-1] == (
        "Error: parameter tweets.data_dir is 'data/01_raw/tweets': none of the 4 files of "
        "datasets ['lamb_related', 'lamb_awareness'] is there (e.g. "
        "RelatedVsNotRelated2009TweetIDs.content.txt). Put the tweet files there (see "
        "data/01_raw/tweets/README.md) or point the parameter at them: kedro run "
        "--pipelines=tweets --params tweets.data_dir=/path/to/tweets"
    )
