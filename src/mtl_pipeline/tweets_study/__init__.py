"""Engine package: the health-tweets study (Joshi et al. 2019), STL vs. MTL on tweet task pairs
(Kedro-free; the ``tweets`` pipeline is its Kedro face, ``notebooks/tweets_study.ipynb`` its
notebook).

``settings`` (the study's settings, parsed from the ``tweets`` block by
``mtl_pipeline.specs.tweets``), ``folds`` (seeded stratified K-fold over a pair's tweets), ``cv``
(the model jobs of every fold, one durable training call per run, per-fold scores, the
aux-share ablation's jobs), ``scores`` (Joshi-style results table, paired t-test),
``ablation`` (accuracy vs. share of auxiliary data), ``joshi_comparison`` (our direction per
shared layer beside the paper's).
"""
