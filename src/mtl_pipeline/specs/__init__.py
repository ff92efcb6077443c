"""Parameters → typed specs: one module per parameter block (``newsgroups``, ``meta``,
``predict``, ``tweets``, ``factors``), each parsed once through the one validation layer
(:mod:`mtl_pipeline.params`), at the node boundary.

This is the only place that knows Kedro parameter names (``newsgroups.train.mtl_epochs``): every
error about a setting names it as the user wrote it, and an unknown key is an error naming the
nearest known one. The engine below receives the specs (dataclasses it defines itself) and never
names a parameter; where a check can only run on the data (a fold count larger than the labelled
tweets), the spec module passes the parameter's name down with the value.

Dependency direction: ``pipelines`` → ``specs`` → engine packages; the engine never imports
``specs``.
"""
