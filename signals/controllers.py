"""The adaptive controllers by name: ``lookahead`` (ours), ``actuated``, ``max-pressure``
and ``greedy``, each built for a network's signals as one :class:`its.control.Controller`,
and their options read from ``KEY=VALUE`` text (the command line's ``--set``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from its.errors import InputError, PlanError
from its.registry import Registry
from signals.actuated import Actuated
from signals.adaptive import AdaptiveController, Policy
from signals.approach import approaches
from signals.baselines import Greedy, MaxPressure
from signals.check import check_states
from signals.lookahead import Lookahead
from signals.model import SignalNetwork
from signals.phases import Timing, transition

__all__ = ["BEST", "POLICIES", "check_options", "make_controller", "option_defaults", "parse_options"]

#: Policy factories by controller name; keyword arguments tune them.
POLICIES: Registry[Callable[..., Policy]] = Registry("controller")
POLICIES.register("lookahead", Lookahead)
POLICIES.register("actuated", Actuated)
POLICIES.register("max-pressure", MaxPressure)
POLICIES.register("greedy", Greedy)

#: The controller ``its signals evaluate`` runs by default: the one that wins the benchmark.
BEST = "lookahead"


def make_controller(
    name: str,
    network: SignalNetwork,
    tls_ids: Sequence[str] | None = None,
    *,
    timing: Timing = Timing(),
    log: Path | None = None,
    watch_m: float = 400.0,
    split_phases: bool = True,
    **options: Any,
) -> AdaptiveController:
    """Controller ``name`` for the named signals (all by default), its switches checked safe.

    A policy that serves split phases (``lookahead``) does so unless ``split_phases`` is
    false: then every controller keeps to the greens of the shipped programs, as a field
    controller that can show only its programmed stages must.

    Each signal's approaches are watched up to ``watch_m`` upstream (or back to the previous
    signal); ``options`` go to the policy (a greedy or max-pressure ``reach_m`` is how far of
    that it counts).

    Raises
    ------
    InputError
        On an unknown controller name or option (see :func:`parse_options`).
    PlanError
        On an unknown or unsignalised junction, or a network without traffic lights.
    """
    check_options(name, options)
    policy = POLICIES[name](**options)
    signals = network.select(list(tls_ids or []))
    splits = split_phases and bool(getattr(policy, "split_phases", False))
    watched = approaches(network, signals, reach_m=watch_m, split_phases=splits)
    for signal, approach in zip(signals, watched, strict=True):
        states = list(approach.greens)
        for a in approach.greens:
            for b in approach.greens:
                if a != b:
                    states += [p.state for p in transition(a, b, timing, signal.walkways, signal.intergreens)]
        problems = check_states(states, signal)
        if problems:
            raise PlanError(f"{signal.tls_id}: its green phases are unsafe: {problems[0]}")
    return AdaptiveController(watched, policy, timing, log=log)


def option_defaults(name: str) -> dict[str, Any]:
    """The options of controller ``name`` (the fields of its policy) and their defaults."""
    policy = POLICIES[name]
    if not dataclasses.is_dataclass(policy):
        return {}
    return {f.name: f.default for f in dataclasses.fields(policy) if f.init}


def check_options(name: str, keys: Iterable[str]) -> None:
    """Refuse, naming it and the options there are, an option controller ``name`` lacks.

    Raises
    ------
    InputError
        On an unknown controller or option.
    """
    defaults = option_defaults(name)
    if "split_phases" in set(keys) & set(defaults):
        # make_controller's own argument (the command line's --split-phases switch)
        raise InputError(f"controller {name}: split_phases is the --split-phases/--no-split-phases switch, not an option to set")
    unknown = sorted(set(keys) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise InputError(f"controller {name} has no option {unknown[0]!r}; its options: {known}")


def parse_options(name: str, settings: Mapping[str, str]) -> dict[str, Any]:
    """Options for controller ``name`` from text, each converted to the type of its default:
    ``true``/``false`` (also ``yes``/``no``, ``on``/``off``, ``1``/``0``) for a switch, a
    number otherwise, numbers separated by ``/`` for a list (``first_s=0/5/10``).
    Durations and distances whose default is positive must stay positive; nothing may be
    negative.

    Raises
    ------
    InputError
        Naming the option that the controller does not have (and the ones it has), or the
        value that does not fit it.
    """
    check_options(name, settings)
    defaults = option_defaults(name)
    return {key: _convert(name, key, text.strip(), defaults[key]) for key, text in settings.items()}


_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def _convert(name: str, key: str, text: str, default: Any) -> Any:
    where = f"option {key}={text!r} of controller {name}"
    if isinstance(default, bool):
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise InputError(f"{where}: expected true or false")
    if isinstance(default, tuple):
        parts = [p for p in text.split("/") if p.strip()]
        if not parts:
            raise InputError(f"{where}: expected numbers separated by '/'")
        values = tuple(_number(where, p.strip(), float, key, 0.0) for p in parts)
        return tuple(sorted(set(values)))
    kind = int if isinstance(default, int) else float
    return _number(where, text, kind, key, default)


def _number(where: str, text: str, kind: type, key: str, default: float) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise InputError(f"{where}: expected {'a whole number' if kind is int else 'a number'}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"{where}: expected a finite number")
    if value < 0:
        raise InputError(f"{where}: must not be negative")
    if value == 0 and default > 0 and key.endswith(("_s", "_m")):
        raise InputError(f"{where}: must be positive")
    return value
