"""The model families: one file per trunk, each a :class:`~.base.Family` subclass that
registers itself by name (``registry.register``), owns its construction (``build``: the trunk
of M stacked models, below the trainer's task heads) and declares the ModelSpec fields and
options that count in its fingerprint, its input kind and the sharing modes it builds.

Built in: ``mlp`` (float features; hard or soft sharing), ``bilstm``, ``cnn``, ``bilstm_cnn``
(token ids; Joshi et al. 2019). Every other module of this package is imported here too, so a
new family is one new file (plus the YAML that names it); see README "Layout".
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import FEATURES, HARD, SHARING, SOFT, TOKENS, Family, InputKind, Trunk
from .registry import get, names, register, resolve, unregister

#: imported first, in this order: the order the error messages and YAML docs list them in
BUILT_IN = ("mlp", "bilstm", "cnn", "bilstm_cnn")
#: modules of this package that define no family of their own
_FRAME = ("base", "registry", "sequence")

for _name in BUILT_IN:
    importlib.import_module(f"{__name__}.{_name}")
for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module.name not in BUILT_IN + _FRAME and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "FEATURES",
    "HARD",
    "SHARING",
    "SOFT",
    "TOKENS",
    "Family",
    "InputKind",
    "Trunk",
    "get",
    "names",
    "register",
    "resolve",
    "unregister",
]
