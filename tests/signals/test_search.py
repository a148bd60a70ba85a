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


def stand_in(options, seed):
    """A stand-in simulation of a controller: best at headway 2.0, with seed noise."""
    return 10.0 + abs(options.get("headway_s", 1.7) - 2.0) * 5 + (seed % 3) * 0.1


def test_tune_runs_every_combination_and_keeps_the_held_out_winner():
    from signals.search import tune

    seen = []

    def evaluate(jobs):
        seen.extend(jobs)
        return [stand_in(o, s) for o, s in jobs]

    grid = {"headway_s": [1.7, 2.0, 2.3], "permissive": [0.5, 0.3]}
    result = tune(grid, evaluate, train_seeds=[1, 2], test_seeds=[101], defaults={"headway_s": 1.7, "permissive": 0.5})
    # the defaults run once (1.7/0.5 is them), the other five combinations once per seed
    assert [row["options"] for row in result.candidates].count({}) == 1
    assert len(result.candidates) == 6 and result.evaluations == len(seen) == 6 * 2 + 2
    assert result.accepted and result.options["headway_s"] == 2.0
    assert result.best_test < result.default_test
    assert result.gain_se == 0.0  # one held-out seed: no spread to tell


def test_tune_reports_the_spread_of_the_held_out_gain():
    from signals.search import tune

    def evaluate(jobs):  # headway 2.0 gains 1.0 s on seed 101 and 0.2 s on 102
        return [10.0 - (o.get("headway_s") == 2.0) * (1.0 if s == 101 else 0.2) for o, s in jobs]

    result = tune({"headway_s": [2.0]}, evaluate, train_seeds=[1], test_seeds=[101, 102])
    assert result.accepted and result.default_test - result.best_test == pytest.approx(0.6)
    assert result.gain_se == pytest.approx(0.4)  # stdev of (1.0, 0.2) over the root of 2
    assert [row["train_delay_s"] for row in result.candidates] == sorted(row["train_delay_s"] for row in result.candidates)


def test_tune_keeps_the_defaults_when_held_out_seeds_disagree():
    from signals.search import tune

    def evaluate(jobs):  # headway 2.0 wins on training seeds only
        return [stand_in(o, s) if s < 100 else 10.0 + abs(o.get("headway_s", 1.7) - 1.7) for o, s in jobs]

    result = tune({"headway_s": [2.0]}, evaluate, train_seeds=[1, 2], test_seeds=[101, 102])
    assert not result.accepted and result.options == {}
    assert result.candidates[0]["options"] == {"headway_s": 2.0} and result.best_test > result.default_test


def test_tune_refuses_bad_grids_and_seeds():
    from signals.search import MAX_COMBINATIONS, tune

    def evaluate(jobs):
        raise AssertionError("nothing may run")

    with pytest.raises(InputError, match="training and held-out seeds must differ"):
        tune({"a": [1]}, evaluate, train_seeds=[1, 2], test_seeds=[2])
    with pytest.raises(InputError, match="nothing to tune"):
        tune({"a": []}, evaluate, train_seeds=[1], test_seeds=[2])
    with pytest.raises(InputError, match=f"at most {MAX_COMBINATIONS}"):
        tune({"a": list(range(9)), "b": list(range(9))}, evaluate, train_seeds=[1], test_seeds=[2])
