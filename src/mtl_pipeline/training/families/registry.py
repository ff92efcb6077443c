"""Model families by name (``ModelSpec.encoder`` -> :class:`~.base.Family`): the one place that
maps a name to what builds it; nothing else in the project tests a family's name."""

from __future__ import annotations

from mtl_pipeline.params import choose, nearest

from .base import Family, InputKind

_FAMILIES: dict[str, Family] = {}
#: former names -> (family, sharing mode), e.g. ``mlp_soft`` -> (``mlp``, ``soft``)
_ALIASES: dict[str, tuple[str, str]] = {}


def register(family: type[Family]) -> type[Family]:
    """Add a family (a :class:`Family` subclass; usable as a class decorator) under its
    ``name`` and its ``aliases``; a name already taken is an error."""
    entry = family()
    for name in (entry.name, *entry.aliases):
        if name in _FAMILIES or name in _ALIASES:
            raise ValueError(f"model family {name!r} is registered already")
    unknown = set(entry.aliases.values()) - set(entry.sharing)
    if unknown:
        raise ValueError(f"family {entry.name!r}: an alias names sharing {sorted(unknown)}")
    _FAMILIES[entry.name] = entry
    _ALIASES.update({alias: (entry.name, mode) for alias, mode in entry.aliases.items()})
    return family


def unregister(name: str) -> None:
    """Remove a family and its aliases (tests that register a family of their own)."""
    get(name)
    del _FAMILIES[name]
    for alias in [a for a, (target, _) in _ALIASES.items() if target == name]:
        del _ALIASES[alias]


def names(input_kind: InputKind | None = None) -> tuple[str, ...]:
    """The registered families (of one input kind), in registration order."""
    return tuple(n for n, f in _FAMILIES.items() if input_kind in (None, f.input_kind))


def get(name: str, what: str = "ModelSpec.encoder", input_kind: InputKind | None = None) -> Family:
    """The family called ``name`` (among those of ``input_kind``), or a ValueError naming
    ``what``, the known families and the nearest one."""
    known = {n: _FAMILIES[n] for n in names(input_kind)}
    return choose(known, name, what)


def resolve(name: str) -> tuple[Family, str | None]:
    """``(family, sharing)`` of a name or a former name (``sharing`` None: not fixed by the
    name), or a ValueError naming the known families and the nearest one."""
    if name in _ALIASES:
        family, sharing = _ALIASES[name]
        return _FAMILIES[family], sharing
    if name not in _FAMILIES:
        raise ValueError(
            f"ModelSpec.encoder must be one of {names()}, got {name!r}"
            f"{nearest(name, [*names(), *_ALIASES])}"
        )
    return _FAMILIES[name], None
