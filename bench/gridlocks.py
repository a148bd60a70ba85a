"""Benchmark: how often each way of running the signals gridlocks a map, over many seeds.

Five held-out seeds (``bench/signals.py``) tell delays apart but not how often a network
locks for good without teleports: on cologne3 that happens on about one seed in 45 or fewer.
Per map this runs, on the given seeds, the programs as shipped, the greedy and max-pressure
rules tuned for the map on the training seeds as ``bench/signals.py`` tunes them, and our
``lookahead`` (the defaults), then prints per method the seeds that gridlocked, counted as
``bench/signals.py`` counts them over the seeds (delay above twice the median and vehicles
left stuck), with their delay.

Usage: python bench/gridlocks.py [--maps cologne3] [--seeds 1-30,101-115] [--train-seeds 2]
       [--workers 2] [--data DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import statistics

from bench.signals import COUNTY_WINDOW, SHARED, Method, gridlocked_runs, measure, tune, window_of
from its.jobs import JobRunner
from its.settings import get_settings


def seed_list(text: str) -> list[int]:
    """``1-30,101-115`` as the seeds it names (ValueError naming the part that is not a
    seed or a range of them)."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise ValueError(f"{part.strip()!r} is not a seed or a range of seeds like 101-115") from None
        if low < 0 or high < low:
            raise ValueError(f"{part.strip()!r} is not a range of seeds like 101-115")
        seeds.extend(range(low, high + 1))
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maps", default="cologne3", help="comma-separated map names")
    parser.add_argument("--seeds", default="1-30,101-115", help="seeds to count gridlocks on, e.g. 1-30,101-115")
    parser.add_argument("--train-seeds", type=int, default=2, help="seeds for tuning the baselines (1, 2, ...)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of scenarios DIR/NAME/NAME.sumocfg")
    args = parser.parse_args()
    try:
        seeds = seed_list(args.seeds)
    except ValueError as error:
        parser.error(f"--seeds: {error}")
    with JobRunner.local(args.workers or get_settings().jobs_workers) as runner:
        for name in args.maps.split(","):
            window = window_of(name, COUNTY_WINDOW, args.data)
            greedy, pressure, _ = tune(runner, window, list(range(1, args.train_seeds + 1)), "small")
            methods = [Method("fixed (shipped)", "baseline"), greedy, pressure, Method("lookahead", "ours", controller="lookahead")]
            results = measure(runner, window, methods, seeds)
            print(f"## {name}: gridlocked seeds of {len(seeds)} ({args.seeds})")
            print("| method | gridlocked | seeds (delay, s) | median delay (s) |")
            print("|---|---:|---|---:|")
            for method in methods:
                runs = results[method.name]
                delays = [float(k["delay_s"]) for k in runs]
                bad = gridlocked_runs(runs)
                which = ", ".join(f"{seeds[n]} ({delays[n]:.0f})" for n in bad) or "none"
                print(f"| {method.name} | {len(bad)} | {which} | {statistics.median(delays):.1f} |", flush=True)


if __name__ == "__main__":
    main()
