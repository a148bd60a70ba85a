"""Simulation-in-the-loop search: over cycle, splits and offsets of fixed plans
(:func:`search`), and over an adaptive controller's options (:func:`tune`).

Starting from a plan set (Webster's, or Webster's with coordinated offsets), each round
proposes small changes -- every cycle scaled, green moved from one stage to another at one
junction, one junction's offset shifted -- evaluates them on the training seeds through an
injected ``evaluate`` (the simulation, run in parallel by the caller's job runner), and keeps
the best if it beats the current plans. The winner is then confirmed against the starting
plans on held-out seeds, so the result is not tuned to one random draw: when it does not win
there, the starting plans are returned and the report says so.

:func:`tune` runs every combination of a grid of controller options (and the defaults) on
the training seeds, then the best against the defaults on held-out seeds, and keeps the
defaults unless the best also wins there: seed-to-seed spread is large on real networks
(cologne3's delay moves about 0.6 s between seeds), so a training win alone proves little.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from its.control import Phase, TimingPlan
from its.errors import InputError
from signals.check import faults
from signals.model import SignalNetwork, is_stage
from signals.phases import Timing

__all__ = ["MAX_COMBINATIONS", "Evaluate", "SearchResult", "TuneResult", "check_grid", "search", "tune"]

PlanSet = tuple[TimingPlan, ...]
#: Scores a batch of (plans, seed) runs, lower is better (the benchmark delay, seconds).
Evaluate = Callable[[Sequence[tuple[PlanSet, int]]], list[float]]


@dataclass(frozen=True)
class SearchResult:
    """The plans chosen and how they were chosen (scores are mean delays, seconds)."""

    plans: PlanSet
    start_train: float
    best_train: float
    start_test: float
    best_test: float
    accepted: bool
    """Whether the search's best beat the starting plans on the held-out seeds."""
    evaluations: int
    history: list[dict[str, object]] = field(default_factory=list)


def search(
    start: PlanSet,
    evaluate: Evaluate,
    network: SignalNetwork,
    *,
    train_seeds: Sequence[int],
    test_seeds: Sequence[int],
    rounds: int = 4,
    per_round: int = 4,
    timing: Timing = Timing(),
    rng_seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Improve ``start`` by local search; see the module docstring.

    Raises
    ------
    InputError
        If the training and held-out seeds overlap or either is empty.
    """
    if not train_seeds or not test_seeds:
        raise InputError("the search needs training seeds and held-out seeds")
    if set(train_seeds) & set(test_seeds):
        raise InputError("training and held-out seeds must differ")
    rng = random.Random(rng_seed)
    total = 1 + rounds * per_round + 2
    done = 0

    def score(candidates: Sequence[PlanSet], seeds: Sequence[int]) -> list[float]:
        nonlocal done
        jobs = [(c, s) for c in candidates for s in seeds]
        values = evaluate(jobs)
        out = []
        for i in range(len(candidates)):
            chunk = values[i * len(seeds) : (i + 1) * len(seeds)]
            out.append(sum(chunk) / len(chunk))
        done += len(candidates)
        if progress is not None:
            progress(done, total)
        return out

    current = start
    (current_score,) = score([start], train_seeds)
    start_train = current_score
    history: list[dict[str, object]] = [{"round": 0, "change": "start", "train_delay_s": start_train}]
    evaluations = len(train_seeds)
    for round_ in range(1, rounds + 1):
        proposals: list[tuple[str, PlanSet]] = []
        attempts = 0
        while len(proposals) < per_round and attempts < per_round * 20:
            attempts += 1
            label, candidate = _propose(current, rng, timing)
            if candidate is not None and _safe(candidate, network, timing):
                proposals.append((label, candidate))
        if not proposals:
            break
        scores = score([c for _, c in proposals], train_seeds)
        evaluations += len(proposals) * len(train_seeds)
        best = min(range(len(proposals)), key=lambda i: scores[i])
        improved = scores[best] < current_score - 1e-6
        history.append(
            {"round": round_, "change": proposals[best][0], "train_delay_s": scores[best], "kept": improved}
        )
        if improved:
            current, current_score = proposals[best][1], scores[best]
    if current is start:
        tests = score([start], test_seeds) * 2
    else:
        tests = score([start, current], test_seeds)
    evaluations += 2 * len(test_seeds)
    accepted = current is not start and tests[1] < tests[0]
    return SearchResult(
        plans=current if accepted else start,
        start_train=start_train,
        best_train=current_score,
        start_test=tests[0],
        best_test=tests[1],
        accepted=accepted,
        evaluations=evaluations,
        history=history,
    )


#: Most option combinations :func:`tune` runs (each on every training seed).
MAX_COMBINATIONS = 64
Options = dict[str, Any]
#: Scores a batch of (controller options, seed) runs, lower is better.
EvaluateOptions = Callable[[Sequence[tuple[Options, int]]], list[float]]


@dataclass(frozen=True)
class TuneResult:
    """The options chosen and how (delays are means over seeds, seconds)."""

    options: Options
    """The winner's options; empty when the defaults are kept."""
    candidates: list[dict[str, Any]]
    """Every combination tried, best first: ``options``, ``train_delay_s``, ``per_seed``."""
    default_test: float
    best_test: float
    accepted: bool
    """Whether the training winner also beat the defaults on the held-out seeds."""
    evaluations: int
    gain_se: float = 0.0
    """Standard error of the held-out gain (the defaults' delay less the winner's, seed by
    seed); a gain smaller than it is within the seed-to-seed spread."""


def check_grid(grid: Mapping[str, Sequence[Any]]) -> None:
    """Refuse a grid with an option without values or more than :data:`MAX_COMBINATIONS`
    combinations, before anything runs.

    Raises
    ------
    InputError
        Saying which.
    """
    if not grid or any(not values for values in grid.values()):
        raise InputError("nothing to tune: give each option at least one value")
    combinations = math.prod(len(values) for values in grid.values())
    if combinations > MAX_COMBINATIONS:
        raise InputError(f"the grid has {combinations} combinations; at most {MAX_COMBINATIONS}")


def tune(
    grid: Mapping[str, Sequence[Any]],
    evaluate: EvaluateOptions,
    *,
    train_seeds: Sequence[int],
    test_seeds: Sequence[int],
    defaults: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TuneResult:
    """Choose a controller's options from ``grid`` (option name to the values to try); see
    the module docstring. A value equal to the option's default in ``defaults`` is left out
    of a combination's options, so the defaults run once.

    Raises
    ------
    InputError
        If the grid is empty or has more than :data:`MAX_COMBINATIONS` combinations, or the
        training and held-out seeds overlap or either is empty.
    """
    if not train_seeds or not test_seeds:
        raise InputError("tuning needs training seeds and held-out seeds")
    if set(train_seeds) & set(test_seeds):
        raise InputError("training and held-out seeds must differ")
    check_grid(grid)
    names = list(grid)
    combos = [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]
    defaults = defaults or {}
    changed = ({k: v for k, v in c.items() if k not in defaults or v != defaults[k]} for c in combos)
    candidates: list[Options] = [{}]
    for combo in changed:
        if combo not in candidates:
            candidates.append(combo)
    total = len(candidates) * len(train_seeds) + 2 * len(test_seeds)
    done = 0

    def score(options: Sequence[Options], seeds: Sequence[int]) -> list[list[float]]:
        nonlocal done
        values = evaluate([(o, s) for o in options for s in seeds])
        done += len(values)
        if progress is not None:
            progress(done, total)
        return [values[i * len(seeds) : (i + 1) * len(seeds)] for i in range(len(options))]

    train = score(candidates, train_seeds)
    table = sorted(
        (
            {"options": o, "train_delay_s": sum(d) / len(d), "per_seed": d}
            for o, d in zip(candidates, train, strict=True)
        ),
        key=lambda row: row["train_delay_s"],
    )
    best = table[0]["options"]
    gain_se = 0.0
    if best:
        runs_default, runs_best = score([{}, best], test_seeds)
        default_test, best_test = sum(runs_default) / len(runs_default), sum(runs_best) / len(runs_best)
        gains = [a - b for a, b in zip(runs_default, runs_best, strict=True)]
        if len(gains) > 1:
            gain_se = statistics.stdev(gains) / len(gains) ** 0.5
    else:  # the defaults won on training: one run per held-out seed (SUMO is deterministic)
        (runs,) = score([{}], test_seeds)
        default_test = best_test = sum(runs) / len(runs)
        if progress is not None:
            progress(total, total)
    accepted = bool(best) and best_test < default_test
    return TuneResult(
        options=best if accepted else {},
        candidates=table,
        default_test=default_test,
        best_test=best_test,
        accepted=accepted,
        evaluations=done,
        gain_se=gain_se,
    )


def _safe(plans: PlanSet, network: SignalNetwork, timing: Timing) -> bool:
    return all(not faults(p, network.signals[p.tls_id], timing) for p in plans if p.tls_id in network.signals)


def _propose(plans: PlanSet, rng: random.Random, timing: Timing) -> tuple[str, PlanSet | None]:
    kind = rng.choice(("cycle", "split", "split", "offset"))
    if kind == "cycle":
        factor = rng.choice((0.8, 0.9, 1.1, 1.25))
        return f"cycle x{factor:g}", tuple(_scale(p, factor, timing) for p in plans)
    k = rng.randrange(len(plans))
    plan = plans[k]
    greens = [i for i, p in enumerate(plan.phases) if is_stage(p)]
    if kind == "split" and len(greens) >= 2:
        give, take = rng.sample(greens, 2)
        seconds = rng.choice((2, 4, 6))
        phases = list(plan.phases)
        phases[give] = replace(phases[give], duration=phases[give].duration + seconds)
        phases[take] = replace(phases[take], duration=phases[take].duration - seconds)
        changed = replace(plan, phases=tuple(phases))
        return f"{plan.tls_id}: {seconds} s from phase {take} to {give}", _with(plans, k, changed)
    cycle = plan.cycle_s
    if cycle <= 0:
        return "nothing", None
    shift = rng.choice((-1, 1)) * rng.choice((0.1, 0.2, 0.3)) * cycle
    changed = replace(plan, offset=round((plan.offset + shift) % cycle, 1))
    return f"{plan.tls_id}: offset {changed.offset:g} s", _with(plans, k, changed)


def _with(plans: PlanSet, k: int, plan: TimingPlan) -> PlanSet:
    return (*plans[:k], plan, *plans[k + 1 :])


def _scale(plan: TimingPlan, factor: float, timing: Timing) -> TimingPlan:
    phases = tuple(
        Phase(p.state, max(timing.min_green_s, round(p.duration * factor)), p.min_dur, p.max_dur, p.name)
        if is_stage(p)
        else p
        for p in plan.phases
    )
    scaled = replace(plan, phases=phases)
    cycle = scaled.cycle_s
    return replace(scaled, offset=round((plan.offset * factor) % cycle, 1) if cycle > 0 else 0.0)
