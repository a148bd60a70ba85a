"""Benchmark: the cost of `its simulate` over SUMO itself, on the county (or any scenario).

Runs alternately, several rounds, and prints median ratios (lines containing "ratio"):

(a) ``its simulate`` with the default KPI set  vs  the plain ``sumo`` binary writing no outputs
    (goal: at most 1.25x; tripinfo plus edgeData cost SUMO itself about 1.12x);
(b) ``its simulate --all-kpis``  vs  the plain ``sumo`` binary writing the very same outputs,
    so only our orchestration and parsing are measured (goal: at most 1.15x).

Usage: python bench/simulation.py [--scenario county] [--rounds 3] [--end HH:MM]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file, this folder would come first on the path and its name would hide the
    # `simulation` package; put the repository there instead.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import resource
import statistics
import subprocess
import tempfile
import time

from api.services import ensure_built
from its.scenario import load
from its.settings import get_settings
from its.units import parse_time
from simulation._tools import binary
from simulation.config import RunConfig
from simulation.run import prepare

REPO = Path(__file__).resolve().parent.parent
ITS = [sys.executable, "-c", "from api.cli import main; main()"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the whole process tree) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="county")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--end", default=None, help="shorten the window (HH:MM) for a quick check")
    args = parser.parse_args()

    scenario = load(args.scenario, settings=get_settings())
    ensure_built(scenario)
    end = parse_time(args.end) if args.end else None
    window = ["--end", args.end] if args.end else []
    sumo = str(binary("sumo"))
    with tempfile.TemporaryDirectory(prefix="its-bench-") as tmp:
        work = Path(tmp)
        # the same outputs as `its simulate --all-kpis`, written by SUMO alone
        full = RunConfig(end=end, kpis=scenario.kpis.with_(edges=True, detectors=True, emissions=True, ssm=True))
        plan = prepare(scenario, full, work / "sumo-full")
        plain = [sumo, "-c", str(scenario.sumocfg), "--no-step-log", "--duration-log.disable"]
        if end is not None:
            plain += ["--end", f"{end:g}"]
        cases = {
            "a": (
                [*ITS, "simulate", args.scenario, *window, "--out", str(work / "its-default")],
                plain,
            ),
            "b": (
                [*ITS, "simulate", args.scenario, *window, "--all-kpis", "--out", str(work / "its-full")],
                [sumo, *plan.args],
            ),
        }
        times: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in cases}
        for round_no in range(1, args.rounds + 1):
            for key, (ours, theirs) in cases.items():
                ours_wall, ours_cpu = timed(ours)
                theirs_wall, theirs_cpu = timed(theirs)
                times[key].append((ours_wall, theirs_wall, ours_cpu, theirs_cpu))
                print(
                    f"round {round_no} case {key}: its {ours_wall:.2f} s wall / {ours_cpu:.2f} s cpu, "
                    f"sumo {theirs_wall:.2f} s wall / {theirs_cpu:.2f} s cpu",
                    flush=True,
                )
    goals = {"a": 1.25, "b": 1.15}
    labels = {
        "a": "its simulate (default KPIs) / plain sumo without outputs",
        "b": "its simulate --all-kpis / plain sumo writing the same outputs",
    }
    # The machine may be shared: CPU time (all processes of the command) is far less
    # disturbed by other work than wall time, so both are printed.
    for key in cases:
        rows = times[key]
        wall = statistics.median(o / t for o, t, _, _ in rows)
        cpu = statistics.median(o / t for _, _, o, t in rows)
        for measure, ratio in (("wall", wall), ("cpu", cpu)):
            verdict = "meets" if ratio <= goals[key] else "misses"
            print(
                f"({key}) {measure} ratio {ratio:.3f} {labels[key]} "
                f"(median over {args.rounds} rounds; goal <= {goals[key]}: {verdict})"
            )


if __name__ == "__main__":
    main()
