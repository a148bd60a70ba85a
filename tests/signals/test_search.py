"""The simulation-in-the-loop search with a stand-in evaluate: it improves on the training
seeds and keeps the start when the held-out seeds disagree."""

from __future__ import annotations

import pytest

from its.errors import InputError
from signals.phases import Stage, Timing, build_plan
from signals.search import search


@pytest.fixture
def start():
    return (build_plan("X", [Stage("GgGgrr", 20), Stage("rrrrGG", 20)], Timing(), program_id="s"),)


def network_of(cross, tmp_path):
    from signals.model import SignalNetwork

    return SignalNetwork(tmp_path / "x.net.xml", {"X": cross}, {}, {}, {}, {})


def delay_of(plans):
    """A stand-in simulation: best with a 36 s north-south green."""
    green = plans[0].phases[0].duration
    return abs(green - 36) + 10.0


def test_search_improves_and_is_confirmed(cross, tmp_path, start):
    calls = []

    def evaluate(jobs):
        calls.append(len(jobs))
        return [delay_of(plans) for plans, _ in jobs]

    result = search(start, evaluate, network_of(cross, tmp_path), train_seeds=[1, 2], test_seeds=[11, 12], rounds=12, per_round=4)
    assert result.accepted and result.best_test < result.start_test
    assert result.plans[0].phases[0].duration > 20
    assert result.evaluations == sum(calls)
    assert result.history[0]["change"] == "start"


def test_held_out_seeds_overrule_the_training_seeds(cross, tmp_path, start):
    def evaluate(jobs):
        # better on the training seeds, worse on the held-out ones: a lucky draw
        return [delay_of(p) if seed < 10 else 100 - delay_of(p) for p, seed in jobs]

    result = search(start, evaluate, network_of(cross, tmp_path), train_seeds=[1], test_seeds=[11], rounds=6, per_round=3)
    assert not result.accepted and result.plans == start


def test_seeds_must_differ(cross, tmp_path, start):
    with pytest.raises(InputError, match="must differ"):
        search(start, lambda jobs: [0.0] * len(jobs), network_of(cross, tmp_path), train_seeds=[1, 2], test_seeds=[2])
