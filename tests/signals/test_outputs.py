"""Timing sheets and time-space diagrams."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from its.errors import InputError
from signals.diagram import bandwidth, corridor, signal_groups, signal_plan_chart, time_space
from signals.plans import network_plans
from signals.sheets import intergreens_csv, sheet_csv, sheet_markdown


def test_timing_sheet(tiny_signals):
    (plan,) = network_plans(tiny_signals, ["B1"])
    text = sheet_markdown(plan, tiny_signals.signals["B1"])
    assert "Cycle 60 s, offset 0 s" in text
    assert "| 2 | yellow | 27 | 3 |" in text
    assert text.count("\n| ") >= 4 + 16  # phases and links
    # each link's worst intergreen: the all-red it needs and before which conflicting link
    signal = tiny_signals.signals["B1"]
    clearing, entering, seconds = signal.intergreens.worst()
    link = next(lk for lk in signal.links if lk.index == clearing)
    assert f"| {clearing} | {link.from_lane} | {link.to_lane} |" in text
    assert f"| {seconds:g} s before {entering} |" in text
    matrix = list(csv.DictReader(io.StringIO(intergreens_csv([signal]))))
    assert len(matrix) == len(signal.intergreens.needs) > 0
    row = next(r for r in matrix if (int(r["clearing_link"]), int(r["entering_link"])) == (clearing, entering))
    assert float(row["all_red_s"]) == seconds and row["clearing_lanes"] == f"{link.from_lane} -> {link.to_lane}"
    rows = list(csv.DictReader(io.StringIO(sheet_csv([plan]))))
    assert [r["kind"] for r in rows] == ["green", "yellow", "green", "yellow"]
    assert rows[2]["start_s"] == "30"


def test_time_space_diagram(tiny_signals, tmp_path):
    plans = network_plans(tiny_signals)
    chain = corridor(tiny_signals, ["A1", "B1", "C1"])
    assert [(p.upstream, p.downstream) for p in chain] == [("A1", "B1"), ("B1", "C1")]
    path = time_space(plans, tiny_signals, tmp_path / "corridor.png", tls_ids=["A1", "B1", "C1"])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert len(corridor(tiny_signals)) >= 2  # the longest chain, found by itself
    with pytest.raises(InputError, match="not consecutive"):
        corridor(tiny_signals, ["A1", "C1"])


def test_signal_groups_gather_the_links_that_always_show_the_same(tiny_signals, tmp_path):
    signal = tiny_signals.signals["B1"]
    plan = signal.program
    groups = signal_groups(plan, signal)
    # every link in exactly one group, and a group's links show the same in every phase
    indices = [i for _, members, _ in groups for i in members]
    assert sorted(indices) == sorted({link.index for link in signal.links})
    for _, members, states in groups:
        for phase, shown in zip(plan.phases, states, strict=True):
            assert {phase.state[i] for i in members} == {shown}
    # groups differ: two links of different groups differ somewhere
    assert len({states for _, _, states in groups}) == len(groups)
    # named by approach and turn
    by_link = {i: label for label, members, _ in groups for i in members}
    for link in signal.links:
        assert link.from_edge in by_link[link.index]
    path = signal_plan_chart(network_plans(tiny_signals), tiny_signals, tmp_path / "plans.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match="no plan of a signal"):
        signal_plan_chart([], tiny_signals, tmp_path / "none.png")


def test_the_through_band_is_the_green_that_progresses(tiny_signals):
    plans = {p.tls_id: p for p in network_plans(tiny_signals)}
    [link] = corridor(tiny_signals, ["A1", "B1"])
    # A1's eastbound through is green for the first 26 s of its cycle, B1's for 30-57 s, and
    # it takes 13.1 s from one to the other: B1's offset of 43 s puts its green where A1's
    # through traffic arrives, the whole green long
    bands = {
        offset: bandwidth([*plans.values(), replace(plans["B1"], offset=offset)], tiny_signals, ["A1", "B1"])
        for offset in range(60)
    }
    assert link.travel_s == pytest.approx(13.1, abs=0.1)
    assert max(band.forward_s for band in bands.values()) == bands[43].forward_s == 26
    assert bands[43].forward_on_green == 1.0
    assert bands[0].forward_s < 26 and bands[0].forward_on_green < 0.5
    assert bands[43].signals == ("A1", "B1") and bands[43].cycle_s == 60
    assert bands[43].share(bands[43].forward_s) == pytest.approx(26 / 60)
    # the reverse direction has its own band
    assert bands[43].reverse_s is not None and bands[43].reverse_s < 26


def test_no_band_between_signals_on_cycles_of_their_own(tiny_signals, tmp_path):
    plans = {p.tls_id: p for p in network_plans(tiny_signals)}
    first, *rest = plans["B1"].phases
    own = replace(plans["B1"], phases=(replace(first, duration=first.duration + 7), *rest))
    assert own.cycle_s == 67 and plans["A1"].cycle_s == 60
    with pytest.raises(InputError, match="run cycles of 60 and 67 s: no through band"):
        bandwidth([*plans.values(), own], tiny_signals, ["A1", "B1"])
    # the diagram is still drawn, saying so
    path = time_space([*plans.values(), own], tiny_signals, tmp_path / "ts.png", tls_ids=["A1", "B1"])
    assert path.read_bytes()[:4] == b"\x89PNG"
