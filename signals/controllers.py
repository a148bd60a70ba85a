"""The adaptive controllers by name: ``lookahead`` (ours), ``actuated``, ``max-pressure``
and ``greedy``, each built for a network's signals as one :class:`its.control.Controller`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from its.errors import PlanError
from its.registry import Registry
from signals.actuated import Actuated
from signals.adaptive import AdaptiveController, Policy
from signals.approach import approaches
from signals.baselines import Greedy, MaxPressure
from signals.check import check_states
from signals.lookahead import Lookahead
from signals.model import SignalNetwork
from signals.phases import Timing, transition

__all__ = ["BEST", "POLICIES", "make_controller"]

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
    reach_m: float = 400.0,
    split_phases: bool = True,
    **options: Any,
) -> AdaptiveController:
    """Controller ``name`` for the named signals (all by default), its switches checked safe.

    A policy that serves split phases (``lookahead``) does so unless ``split_phases`` is
    false: then every controller keeps to the greens of the shipped programs, as a field
    controller that can show only its programmed stages must.

    Raises
    ------
    InputError
        On an unknown controller name.
    PlanError
        On an unknown or unsignalised junction, or a network without traffic lights.
    """
    policy = POLICIES[name](**options)
    signals = network.select(list(tls_ids or []))
    splits = split_phases and bool(getattr(policy, "split_phases", False))
    watched = approaches(network, signals, reach_m=reach_m, split_phases=splits)
    for signal, approach in zip(signals, watched, strict=True):
        states = list(approach.greens)
        for a in approach.greens:
            for b in approach.greens:
                if a != b:
                    states += [p.state for p in transition(a, b, timing)]
        problems = check_states(states, signal)
        if problems:
            raise PlanError(f"{signal.tls_id}: its green phases are unsafe: {problems[0]}")
    return AdaptiveController(watched, policy, timing, log=log)
