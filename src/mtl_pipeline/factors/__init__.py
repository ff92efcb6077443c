"""Controlled sweeps of the three MTL effectiveness factors (relatedness, data balance, label
distribution) on 20 Newsgroups: the sweep plan and its model jobs (:mod:`.sweeps`), the
parameters (:mod:`.spec`), and effect sizes, trend tests and verdicts (:mod:`.effects`).
Kedro-free: the ``factors`` pipeline's nodes are thin adapters over these functions."""
