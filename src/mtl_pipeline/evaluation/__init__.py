"""Engine package: evaluation of STL vs. MTL on task pairs (Kedro-free).

``folds`` (seeded stratified K-fold over a pair's tweets), ``jobs`` (ModelJobs of every fold for the
stacked trainer), ``cv`` (one stacked training call per encoder, per-fold scores), ``scores``
(Joshi-style results table, paired t-test), ``ablation`` (accuracy vs. share of auxiliary data).
"""
