"""Fixtures of the signals tests: a hand-made crossroads (pure data) and the tiny network."""

from __future__ import annotations

from pathlib import Path

import pytest

from its.control import Phase, TimingPlan
from signals.model import Link, Signal, SignalNetwork, read_signals


def _link(index: int, approach: str, to: str, direction: str) -> Link:
    return Link(index, f"{approach}_0", f"{to}_0", approach, to, direction, "X", (f":X_{index}_0",))


@pytest.fixture(scope="session")
def cross() -> Signal:
    """A crossroads with one lane per approach: north and south each have a through (0, 2)
    and a left turn (1, 3); east and west only go through (4, 5)."""
    links = (
        _link(0, "n_in", "s_out", "s"),
        _link(1, "n_in", "e_out", "l"),
        _link(2, "s_in", "n_out", "s"),
        _link(3, "s_in", "w_out", "l"),
        _link(4, "e_in", "w_out", "s"),
        _link(5, "w_in", "e_out", "s"),
    )
    conflicts = {(0, 4), (0, 5), (2, 4), (2, 5), (1, 2), (0, 3), (1, 4), (1, 5), (3, 4), (3, 5), (1, 5), (3, 4)}
    program = TimingPlan(
        "X",
        "0",
        (
            Phase("GgGgrr", 30.0),
            Phase("yyyyrr", 3.0),
            Phase("rrrrGG", 30.0),
            Phase("rrrryy", 3.0),
        ),
    )
    return Signal("X", links, 6, frozenset(conflicts), (program,), ("X",))


@pytest.fixture(scope="session")
def tiny_signals(tiny) -> SignalNetwork:
    from simulation._sumocfg import read_sumocfg

    return read_signals(read_sumocfg(tiny.sumocfg).net)


@pytest.fixture
def shared_signals(shared_data: Path):
    def load(name: str) -> SignalNetwork:
        return read_signals(shared_data / "signals" / name / f"{name}.net.xml")

    return load
