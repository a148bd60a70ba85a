"""``its signals``: every method on the tiny network end to end, and bad input as one line."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from api import services
from signals.check import require_safe
from signals.model import read_signals
from signals.performance import level_of_service
from signals.plans import read_plans, write_plans
from simulation._sumocfg import read_sumocfg

from .test_cli import assert_one_line_error, its

pytestmark = pytest.mark.sumo


@pytest.fixture(scope="module")
def window(tiny):
    return services.signal_window(tiny)


@pytest.mark.parametrize("method", ["webster", "coordinate", "actuated", "lookahead"])
def test_methods_give_safe_plans(window, method):
    outcome = services.signal_plans(window, method, seeds=(1,))
    assert {p.tls_id for p in outcome.plans} == set(window.network.signals)
    require_safe(outcome.plans, window.network, fixed_time=method != "actuated")
    if method == "lookahead":
        assert (
            outcome.flows_source == "simulation"
            and "controller lookahead" in outcome.report["derived_from"]
        )
    else:
        assert outcome.flows_source == "demand"


def test_optimize_confirms_on_held_out_seeds(window):
    outcome = services.signal_plans(window, "optimize", seeds=(1,), held_out=(7,), rounds=1)
    search = outcome.report["search"]
    assert search["held_out_seeds"] == [7] and search["simulations"] >= 4
    assert outcome.plans[0].program_id == "its-optimized"
    if not search["accepted"]:
        assert [p.offset for p in outcome.plans] == _coordinated_offsets(window)


def test_optimize_starts_from_the_plans_given(window, tiny, tmp_path):
    shipped = services.start_plans(window, "shipped")
    assert shipped[1] == "the programs as shipped" and {p.program_id for p in shipped[0]} == {"its-start"}
    outcome = services.signal_plans(window, "optimize", seeds=(1,), held_out=(7,), rounds=1, start=shipped)
    assert outcome.report["start"] == "the programs as shipped"
    if not outcome.report["search"]["accepted"]:  # kept: the shipped programs, under the search's id
        assert [p.phases for p in outcome.plans] == [s.program.phases for s in window.network.signals.values()]
    # a file with a plan for one signal: the others start as shipped
    one = tmp_path / "b1.add.xml"
    webster = services.signal_plans(window, "webster")
    write_plans([p for p in webster.plans if p.tls_id == "B1"], one)
    plans, source = services.start_plans(window, str(one))
    assert source == "b1.add.xml (1 of 5 signals, the rest as shipped)"
    by_id = {p.tls_id: p for p in plans}
    assert by_id["B1"].phases == next(p for p in webster.plans if p.tls_id == "B1").phases
    assert by_id["A1"].phases == window.network.signals["A1"].program.phases
    # what the search cannot start from
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "webster", "--start", "shipped"), "method webster does not search"
    )
    assert_one_line_error(its("signals", "optimize", tiny.root, "--method", "optimize", "--start", tmp_path / "gone.xml"), "gone.xml")
    tod = tmp_path / "tod.add.xml"
    write_plans(
        [replace(p, program_id=f"its-{k}") for k in (1, 2) for p in webster.plans if p.tls_id == "B1"],
        tod,
        schedules=[("B1", [(0.0, "its-1"), (3600.0, "its-2")])],
    )
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "optimize", "--start", tod), "several programs for B1"
    )


def _coordinated_offsets(window):
    outcome = services.signal_plans(window, "coordinate")
    return [p.offset for p in outcome.plans]


def test_optimize_then_evaluate_on_the_command_line(tiny, tmp_path):
    plan = tmp_path / "out" / "tiny.add.xml"
    done = its("signals", "optimize", tiny.root, "--method", "webster", "--out", plan, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["flows_source"] == "demand" and len(report["plans"]) == 5
    assert report["walk_waits"] == []  # no crossing on the tiny network
    assert {Path(p).name for p in report["files"].values()} == {
        "tiny.add.xml",
        "tiny.timing.md",
        "tiny.timing.csv",
        "tiny.intergreens.csv",
        "tiny.timespace.png",
        "tiny.signalplans.png",
    }
    # every file as readable as any the user writes (not a temporary file's 0600)
    (tmp_path / "out" / "usual.txt").write_text("")
    usual = (tmp_path / "out" / "usual.txt").stat().st_mode
    assert {Path(p).stat().st_mode for p in report["files"].values()} == {usual}
    assert len(read_plans(plan)) == 5
    done = its("signals", "evaluate", tiny.root, "--plan", plan, "--seeds", "2", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for side in ("baseline", "result"):
        for key in services.SIGNAL_KPIS:
            assert result[side][key] is not None, key
        assert result[side]["teleports"] == 0
    assert result["change"]["delay_s"]["relative"] == pytest.approx(
        result["result"]["delay_s"] / result["baseline"]["delay_s"] - 1
    )
    # the same seeds on both sides: a paired test of each seed's change
    delay = result["change"]["delay_s"]
    low, high = delay["ci95"]
    assert low <= delay["delta"] <= high and 0 <= delay["p_value"] <= 1
    assert delay["significant"] == (delay["p_value"] < 0.05)
    per_seed = [b - a for a, b in zip(result["baseline"]["per_seed_delay_s"], result["result"]["per_seed_delay_s"], strict=True)]
    assert delay["delta"] == pytest.approx(sum(per_seed) / 2)


def test_optimize_reports_the_walkers_wait_at_each_crossing(crossings_cfg, tmp_path):
    from signals.performance import WALK_LOS_BOUNDS, walk_waits

    plan = tmp_path / "webster.add.xml"
    done = its("signals", "optimize", crossings_cfg, "--method", "webster", "--out", plan, "--json")
    assert done.returncode == 0, done.stderr
    waits = {row["tls_id"]: row for row in json.loads(done.stdout)["walk_waits"]}
    network = read_signals(crossings_cfg.parent / "net.net.xml")
    # the signals with traffic get a plan, each with crossings
    assert set(waits) == {p.tls_id for p in read_plans(plan)} and "B1" in waits
    for written in read_plans(plan):
        row = waits[written.tls_id]
        expected = walk_waits(written, network.signals[written.tls_id])
        assert {int(k): v for k, v in row["crossings"].items()} == pytest.approx(expected)
        assert row["worst_s"] == pytest.approx(max(expected.values()))
        assert 0 < row["worst_s"] < written.cycle_s and row["los"] == level_of_service(row["worst_s"], WALK_LOS_BOUNDS)
    table = its("signals", "optimize", crossings_cfg, "--method", "webster", "--out", plan)
    assert table.returncode == 0 and "walk wait" in table.stdout
    assert "mean wait" in plan.with_name("webster.timing.md").read_text()


def test_compare_a_signal_plan_junction_by_junction(tiny, tmp_path):
    plan = tmp_path / "webster.add.xml"
    assert its("signals", "optimize", tiny.root, "--method", "webster", "--out", plan).returncode == 0
    out = tmp_path / "cmp"
    done = its("compare", tiny.root, "-v", f"signal-program:file={plan}", "--seeds", "2", "--end", "07:10", "--out", out, "--json")
    assert done.returncode == 0, done.stderr
    junctions = json.loads(done.stdout)["junctions"]
    assert {row["tls_id"] for row in junctions} == {"A1", "B0", "B1", "B2", "C1"}
    for row in junctions:
        for side in ("baseline", "result"):
            served = row[side]
            assert served["delay_s"] > 0 and served["los"] == level_of_service(served["delay_s"])
            assert {a["edge"] for a in served["approaches"]} == set(approach_edges_of(row["tls_id"]))
            for approach in served["approaches"]:
                assert 0 <= approach["queue_p95_m"] <= approach["queue_max_m"] <= approach["queue_stretch_m"] + 7.5
            # the junction's queue is its longest approach's
            assert served["queue_p95_m"] == max(a["queue_p95_m"] for a in served["approaches"])
    assert json.loads((out / "junctions.json").read_text()) == junctions
    report = (out / "comparison.md").read_text()
    assert "## Delay per junction" in report
    assert all(f"\n| {row['tls_id']} | " in report for row in junctions)
    assert (out / "junctions.png").read_bytes()[:4] == b"\x89PNG"
    # a plan file that is not there is refused before any run
    missing = its("compare", tiny.root, "-v", "signal-program:file=nowhere.add.xml", "--out", tmp_path / "none")
    assert_one_line_error(missing, "signal-program: no such file")
    assert not (tmp_path / "none" / "runs").exists()


def approach_edges_of(tls_id):
    """The incoming edges of a signal of the tiny network (grid streets and the feeders)."""
    return {
        "A1": {"A2A1", "B1A1", "A0A1", "WA1"},
        "B0": {"B1B0", "C0B0", "SB0", "A0B0"},
        "B1": {"B2B1", "C1B1", "B0B1", "A1B1"},
        "B2": {"NB2", "C2B2", "B1B2", "A2B2"},
        "C1": {"C2C1", "EC1", "C0C1", "B1C1"},
    }[tls_id]


def test_time_of_day_plans_from_our_controller(tiny, tmp_path):
    plan = tmp_path / "tod.add.xml"
    # the window is a quarter of an hour: plans for 07:00, 07:10, each junction switching
    done = its("signals", "optimize", tiny.root, "--method", "lookahead", "--period", "10min", "--out", plan, "--json")
    assert done.returncode == 0, done.stderr
    programs = {(p.tls_id, p.program_id) for p in read_plans(plan)}
    assert len({program for _, program in programs}) >= 2
    # "30:00" reads as thirty hours (HH:MM), which would make one plan for the whole window
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "lookahead", "--period", "30:00"),
        "--period 30:00 is 1800 min, not shorter than the window",
    )


def _counts(path, rows):
    """A counts CSV of B1's approaches: ``rows`` of (begin, end, vehicles north-south, east-west)."""
    lines = ["lane,begin,end,vehicles"]
    for begin, end, ns, ew in rows:
        for arm, vehicles in (("B2B1", ns), ("B0B1", ns), ("C1B1", ew), ("A1B1", ew)):
            lines += [f"{arm}_{lane},{begin},{end},{vehicles}" for lane in (0, 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_time_of_day_webster_plans_from_each_periods_counts(tiny, tmp_path):
    # north-south busy in the first five minutes, east-west in the next; nothing counted after
    counts = _counts(tmp_path / "counts.csv", [("07:00", "07:05", 60, 10), ("07:05:00", "25800", 10, 60), ("09:00", "09:15", 99, 99)])
    window = services.signal_window(tiny, tls=["B1"])
    outcome = services.signal_plans(window, "webster", counts=counts, period_s=300)
    first, second = outcome.plans
    assert outcome.schedules == (("B1", ((25200.0, "its-webster-1"), (25500.0, "its-webster-2"))),)
    assert [p["plans"] for p in outcome.report["periods"]] == [1, 1, 0]
    assert "no counts between 07:10:00 and 07:15:00" in outcome.report["periods"][2]["note"]

    def green(plan, state):
        return sum(p.duration for p in plan.phases if p.state == state)

    ns, ew = (p.state for p in window.network.signals["B1"].green_phases())
    assert green(first, ns) > green(first, ew) and green(second, ew) > green(second, ns)
    # the same counts as the detector feeds write them: a time stamp, an interval, a flow
    feed = ["detector,time,interval_s,flow_veh_h"]
    for line in counts.read_text().splitlines()[1:]:
        lane, begin, _, vehicles = line.split(",")
        clock = begin if ":" in begin else f"{int(begin) // 3600:02d}:{int(begin) % 3600 // 60:02d}"
        feed.append(f"{lane},2025-03-04T{clock[:5]}:00,300,{int(vehicles) * 12}")
    (tmp_path / "feed.csv").write_text("\n".join(feed) + "\n")
    stamped = services.signal_plans(window, "webster", counts=tmp_path / "feed.csv", period_s=300)
    assert stamped.plans == outcome.plans and stamped.schedules == outcome.schedules
    # the file switches at a green both programs show, and evaluate runs it
    plan = tmp_path / "tod.add.xml"
    done = its("signals", "optimize", tiny.root, "--tls", "B1", "--method", "webster", "--counts", counts, "--period", "5min", "--out", plan, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["schedules"]["B1"] == [
        {"from_s": 25200.0, "program_id": "its-webster-1"},
        {"from_s": 25500.0, "program_id": "its-webster-2"},
    ]
    assert 'procedure="GSP"' in plan.read_text() and "## Time of day" in Path(report["files"]["timing_sheet"]).read_text()
    assert Path(report["files"]["time_of_day"]).name == "tod.timeofday.png" and "time_space" not in report["files"]
    assert Path(report["files"]["time_of_day"]).read_bytes().startswith(b"\x89PNG")
    done = its("signals", "evaluate", tiny.root, "--plan", plan, "--seeds", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"]["teleports"] == 0


def test_counts_outside_the_window_or_not_numbers_are_refused(tiny, tmp_path):
    out = tmp_path / "plan.add.xml"
    late = _counts(tmp_path / "late.csv", [("16:00", "17:00", 600, 600)])
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--counts", late, "--out", out),
        "no counts between 07:00:00 and 07:15:00 (they cover 16:00:00 to 17:00:00)",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("lane,flow_veh_h\nB2B1_0,600\nB2B1_1,lots\n")
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--counts", bad, "--out", out),
        "bad.csv: line 3: flow_veh_h must be a number >= 0, not 'lots'",
    )
    for text, message in (("", "cannot read the counts"), ("lane,flow_veh_h\n", "holds no counts")):
        (tmp_path / "empty.csv").write_text(text)
        assert_one_line_error(its("signals", "optimize", tiny.root, "--counts", tmp_path / "empty.csv", "--out", out), message)
    (tmp_path / "stamp.csv").write_text("lane,time,flow_veh_h\nB2B1_0,yesterday,600\n")
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--counts", tmp_path / "stamp.csv", "--out", out),
        "stamp.csv: line 2: time 'yesterday' is not a time; use ISO 8601 or Unix seconds",
    )
    backwards = _counts(tmp_path / "backwards.csv", [("07:10", "07:00", 60, 60)])
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--counts", backwards, "--out", out),
        "line 2: end 07:00 is not after begin 07:10",
    )
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "optimize", "--period", "5min", "--out", out),
        "--period makes time-of-day plans with webster, coordinate, lookahead, max-pressure, greedy, not optimize",
    )
    assert not out.exists()


def test_evaluate_runs_our_controller_by_default(tiny, tmp_path):
    chart = tmp_path / "junctions.png"
    done = its("signals", "evaluate", tiny.root, "--seeds", "1", "--tls", "B1,C1", "--chart", chart, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["result"]["label"] == "controller lookahead" and report["split_phases"] is True
    # delay per junction, for the junctions chosen: every one serves traffic on both sides
    assert [row["tls_id"] for row in report["junctions"]] == ["B1", "C1"]
    for row in report["junctions"]:
        for side in ("baseline", "result"):
            served = row[side]
            assert served["vehicles_per_h"] > 100 and served["delay_s"] > 0
            assert served["los"] == level_of_service(served["delay_s"])
        assert row["delay_change_s"] == pytest.approx(row["result"]["delay_s"] - row["baseline"]["delay_s"])
    # the junctions' time lost is part of all the vehicles' (both per hour of the window)
    hours = (report["window_s"][1] - report["window_s"][0]) / 3600
    at_junctions = sum(r["result"]["vehicles_per_h"] * hours * r["result"]["delay_s"] for r in report["junctions"])
    result = report["result"]
    everyone = result["mean_time_loss_s"] * (result["vehicles_arrived"] + result["vehicles_running"])
    assert 0 < at_junctions < everyone
    assert report["files"]["chart"] == str(chart) and chart.read_bytes()[:4] == b"\x89PNG"
    assert_one_line_error(its("signals", "evaluate", tiny.root, "--chart", tmp_path / "j.pdf"), "name the file *.png")
    field = its("signals", "evaluate", tiny.root, "--seeds", "1", "--tls", "B1", "--no-split-phases", "--json")
    assert field.returncode == 0, field.stderr
    report = json.loads(field.stdout)
    assert report["split_phases"] is False
    assert report["result"]["label"] == "controller lookahead (shipped greens only)"


def test_unknown_and_unsignalised_junctions(tiny, tmp_path):
    out = tmp_path / "plan.add.xml"
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--tls", "B1,Q7", "--out", out),
        "no traffic light 'Q7'",
    )
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--tls", "A0", "--out", out),
        "junction 'A0' is not signalised",
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--tls", "A0"), "junction 'A0' is not signalised"
    )
    assert not out.exists()


def test_all_red_takes_seconds_or_auto(tiny, tmp_path):
    out = tmp_path / "plan.add.xml"
    for bad in ("fast", "-1", "auto:x", "nan"):
        assert_one_line_error(
            its("signals", "optimize", tiny.root, "--all-red", bad, "--out", out),
            f"--all-red '{bad}': expected seconds (0 or more), 'auto' or 'auto:SECONDS'",
        )
    assert not out.exists()
    done = its("signals", "optimize", tiny.root, "--method", "webster", "--all-red", "auto:1", "--out", out)
    assert done.returncode == 0, done.stderr
    # each change lasts what its conflicting movements need after the yellow (an all-red of
    # at least the 1 s asked, then links starting late), and no longer
    network = read_signals(read_sumocfg(tiny.sumocfg).net)
    for plan in read_plans(out):
        intergreens = network.signals[plan.tls_id].intergreens
        greens = [p for p in plan.phases if p.name.startswith("stage")]
        phases = plan.phases * 2
        for green, following in zip(greens, greens[1:] + greens[:1], strict=True):
            start = plan.phases.index(green)
            end = phases.index(following, start + 1)
            assert phases[start + 1].name == "yellow"
            red, *late = phases[start + 2 : end]
            assert red.name == "all-red" and red.duration >= 1.0
            assert all(p.name == "late start" for p in late)
            total = red.duration + sum(p.duration for p in late)
            assert total == max(1.0, math.ceil(intergreens.all_red_s(green.state, following.state) - 1e-9))
    needs = [s for signal in network.signals.values() for _, _, s in signal.intergreens.needs]
    assert max(needs) > 1.0  # so the matrix, not the floor, sets some of them


def test_no_flows_for_a_junction(tiny, tmp_path):
    out = tmp_path / "plan.add.xml"
    done = its(
        "signals",
        "optimize",
        tiny.root,
        "--tls",
        "B1",
        "--begin",
        "0",
        "--end",
        "600",
        "--out",
        out,
    )
    assert_one_line_error(done, "no vehicle departing between 0 s and 600 s")
    assert not out.exists() and not list(tmp_path.iterdir())


def test_network_without_traffic_lights(tiny, tmp_path):
    from simulation._tools import run_tool

    folder = tmp_path / "dark"
    shutil.copytree(tiny.sumocfg.parent, folder)
    net = next(folder.glob("*.net.xml"))
    run_tool(
        "netconvert",
        ["-s", str(net), "--tls.unset", "A1,B0,B1,B2,C1", "-o", str(folder / "dark.net.xml")],
    )
    cfg = (
        (folder / "tiny.sumocfg")
        .read_text()
        .replace(net.name, "dark.net.xml")
        .replace("../sources/", str(tiny.root / "sources") + "/")
    )
    (folder / "dark.sumocfg").write_text(cfg)
    assert_one_line_error(
        its("signals", "optimize", folder / "dark.sumocfg"),
        "the network has no traffic lights to time",
    )


def test_plan_that_does_not_match_the_network(tiny, tmp_path):
    wrong = tmp_path / "wrong.add.xml"
    wrong.write_text(
        '<additional><tlLogic id="B1" programID="x"><phase duration="30" state="GGrr"/></tlLogic></additional>'
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--plan", wrong), "the junction controls 16 links"
    )
    unsafe = tmp_path / "unsafe.add.xml"
    unsafe.write_text(
        '<additional><tlLogic id="B1" programID="x"><phase duration="30" state="GGGGGGGGGGGGGGGG"/></tlLogic></additional>'
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--plan", unsafe), "unsafe plan: B1 phase 0"
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--plan", tmp_path / "none.add.xml"), "does not exist"
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--plan", unsafe, "--no-split-phases"),
        "--no-split-phases applies to a controller",
    )
    # only lookahead has split phases to leave out: saying so elsewhere is a mistake to flag
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "webster", "--no-split-phases"),
        "--no-split-phases applies to method lookahead; webster uses only the shipped greens",
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--controller", "max-pressure", "--no-split-phases"),
        "--no-split-phases applies to lookahead; max-pressure",
    )


def test_unknown_method_and_controller(tiny):
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "magic"), "unknown method 'magic'"
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--controller", "magic"), "unknown controller 'magic'"
    )


def test_flows_from_live_detector_readings(window, tmp_path, monkeypatch):
    """Readings in the store at the window's time of day drive the flows; others do not."""
    from its.errors import InputError
    from its.feeds.readings import Reading
    from its.settings import get_settings
    from simulation.detectors import read_loops

    monkeypatch.setenv("ITS_DATABASE_URL", f"sqlite:///{tmp_path / 'its.db'}")
    get_settings.cache_clear()
    try:
        with pytest.raises(InputError, match="no detector readings"):
            services.signal_flows(window, live_days=7)
        loops = read_loops(window.scenario.sumocfg.parent / "detectors.add.xml")
        signal = window.network.signals[window.tls_ids[0]]
        counted = [loop for loop in loops if loop.lane in signal.incoming_lanes][:2]
        assert counted, "the tiny scenario has loops on its signals' approaches"
        midnight = services.local_epoch(get_settings())
        inside = midnight + window.begin + 60.0
        outside = midnight + window.end + 3600.0
        readings = [
            Reading(
                "field",
                "detector",
                loop.loop_id,
                inside + 300.0 * k,
                interval_s=300.0,
                flow_veh_h=600.0 + 100.0 * k,
            )
            for loop in counted
            for k in range(2)
        ]
        readings.append(
            Reading(
                "field",
                "detector",
                counted[0].loop_id,
                outside,
                interval_s=300.0,
                flow_veh_h=9000.0,
            )
        )
        store = services.open_store(get_settings())
        store.add_readings(readings)
        store.close()
        flows = services.signal_flows(window, live_days=7)
        assert (
            flows.source == "detectors"
            and f"{len(counted)} lanes from 4 live detector readings" in flows.detail
        )
        assert sum(flows.of(signal.tls_id)) == pytest.approx(650.0 * len(counted))
    finally:
        get_settings.cache_clear()


def test_a_plan_deploys_into_the_running_twin_at_a_cycle_boundary(window, tmp_path):
    """The twin takes a plan while it runs; each signal changes over at its next cycle
    boundary after the requested time, and the new programs run from then on."""
    import queue

    from signals.plans import write_plans
    from simulation.twin import TwinConfig, run_twin

    outcome = services.signal_plans(window, "webster")
    plan_file = write_plans(outcome.plans, tmp_path / "webster.add.xml")
    inbox: queue.Queue = queue.Queue()
    begin = window.scenario.begin or 0.0
    at = begin + 100.0
    inbox.put(services.plan_switch(window.scenario, plan_file, at_s=at))
    heard: list = []
    summary = run_twin(
        window.scenario, TwinConfig(speed=0, end=begin + 400), lambda frame: None, inbox=inbox,
        on_deployed=lambda t, records: heard.append((t, records)),
    )  # fmt: skip
    assert summary.sim_end == begin + 400
    ((when, records),) = heard
    cycle = {p.tls_id: p.cycle_s for s in window.network.signals.values() for p in s.programs[:1]}
    assert {r.tls_id for r in records} == set(window.network.signals)
    for record in records:
        assert at <= record.boundary_s <= at + cycle[record.tls_id] + 1.0
        assert record.installed_s is not None and record.installed_s <= when


def test_a_plan_that_does_not_fit_is_refused_before_deploying(tiny, tmp_path):
    bad = tmp_path / "bad.add.xml"
    bad.write_text('<additional><tlLogic id="nowhere" programID="x" offset="0" type="static">'
                   '<phase duration="30" state="G"/></tlLogic></additional>')  # fmt: skip
    done = its("twin", "run", tiny.root, "--speed", "0", "--duration", "60", "--deploy", bad)
    assert_one_line_error(done, "nowhere")
    # a time-of-day plan has several programs per signal; the twin takes one at a time
    tod = tmp_path / "tod.add.xml"
    programs = "".join(
        f'<tlLogic id="B1" programID="p{k}" offset="0" type="static"><phase duration="30" state="GGGgrrrrGGGgrrrr"/>'
        '<phase duration="3" state="yyyyrrrryyyyrrrr"/><phase duration="30" state="rrrrGGGgrrrrGGGg"/>'
        '<phase duration="3" state="rrrryyyyrrrryyyy"/></tlLogic>'
        for k in (1, 2)
    )
    tod.write_text(f"<additional>{programs}</additional>")
    done = its("twin", "run", tiny.root, "--speed", "0", "--duration", "60", "--deploy", tod)
    assert_one_line_error(done, "holds 2 programs of B1 (p1, p2; a time-of-day plan)")


def test_capacity_reports_each_signal_and_webster_takes_measured_saturation(tiny, tmp_path):
    done = its("signals", "capacity", tiny.root, "--handbook", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["flows_source"] == "demand" and report["measured_saturation_veh_h"] == []
    rows = {r["tls_id"]: r for r in report["signals"]}
    assert set(rows) == {"A1", "B0", "B1", "B2", "C1"}
    busiest = max(rows.values(), key=lambda r: r["flow_veh_h"])
    assert busiest["tls_id"] == "B1" and 0 < busiest["flow_ratio"] < busiest["max_serviceable_ratio"]
    assert busiest["green_needed_s"] == pytest.approx(
        busiest["flow_ratio"] * (report["window_s"][1] - report["window_s"][0])
    )
    assert busiest["verdict"] == "undersaturated"

    plan = tmp_path / "measured.add.xml"
    done = its(
        "signals", "optimize", tiny.root, "--tls", "B1", "--method", "webster",
        "--measure-saturation", "--out", plan, "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["saturation_flows"] == "measured in SUMO"
    require_safe(read_plans(plan), services.signal_window(tiny).network)
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "lookahead", "--measure-saturation"),
        "--measure-saturation sizes fixed plans",
    )
    assert_one_line_error(its("signals", "capacity", tiny.root, "--tls", "Q7"), "no traffic light 'Q7'")


def test_capacity_finds_the_arterials_bottleneck_oversaturated(shared_data):
    """At the saturation flows SUMO's vehicles reach on the benchmark's arterial, its
    busiest junction needs more green than the hour has (see the README)."""
    cfg = shared_data / "signals" / "arterial4x4" / "arterial4x4.sumocfg"
    done = its("signals", "capacity", cfg, "--tls", "nt3,nt2", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {r["tls_id"]: r for r in report["signals"]}
    assert rows["nt3"]["flow_veh_h"] == pytest.approx(1908)
    assert rows["nt3"]["flow_ratio"] > 1 and rows["nt3"]["verdict"] == "oversaturated"
    assert rows["nt2"]["flow_ratio"] < rows["nt3"]["flow_ratio"]
    # no timing passes all of nt3's vehicles in the hour; nt2's all fit
    assert rows["nt3"]["vehicles"] == pytest.approx(1908)
    assert 0.8 * 1908 < rows["nt3"]["most_served_veh"] < 0.95 * 1908
    assert rows["nt2"]["most_served_veh"] == pytest.approx(rows["nt2"]["vehicles"])
    measured = [m["veh_h"] for m in report["measured_saturation_veh_h"]]
    assert measured and all(1000 < flow < 2600 for flow in measured)
    handbook = json.loads(its("signals", "capacity", cfg, "--tls", "nt3", "--handbook", "--json").stdout)
    assert handbook["signals"][0]["flow_ratio"] < rows["nt3"]["flow_ratio"]


def test_tune_then_evaluate_with_the_chosen_options(tiny):
    done = its(
        "signals", "tune", tiny.root, "--vary", "headway_s=1.7,2.2", "--vary", "uses_neighbours=false,true",
        "--seeds", "1", "--held-out", "1", "--first-held-out", "201", "--end", "07:15", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["grid"] == {"headway_s": ["1.7", "2.2"], "uses_neighbours": ["false", "true"]}
    # the defaults (1.7, false) and three other combinations on seed 1, two runs on seed 101
    assert len(report["candidates"]) == 4 and report["simulations"] in (4 + 1, 4 + 2)
    assert report["held_out_seeds"] == [201] and report["defaults"]["headway_s"] == "1.7"
    assert report["held_out_gain_se_s"] == 0.0  # one held-out seed has no spread
    best = report["candidates"][0]
    assert best["train_delay_s"] == min(c["train_delay_s"] for c in report["candidates"])
    assert report["accepted"] == (bool(best["options"]) and report["held_out_best_delay_s"] < report["held_out_default_delay_s"])
    chosen = report["options"]
    assert report["command"].startswith("its signals evaluate TARGET --controller lookahead")
    settings = [a for k, v in chosen.items() for a in ("--set", f"{k}={v}")]
    run = its("signals", "evaluate", tiny.root, "--seeds", "1", "--end", "07:15", *settings, "--json")
    assert run.returncode == 0, run.stderr
    evaluated = json.loads(run.stdout)
    assert evaluated["controller_options"] == {k: {"true": True, "false": False}.get(v, float(v) if k == "headway_s" else v) for k, v in chosen.items()}
    if not chosen:
        assert evaluated["result"]["label"] == "controller lookahead"


def test_controller_options_on_the_command_line_are_checked(tiny, tmp_path):
    done = its(
        "signals", "evaluate", tiny.root, "--seeds", "1", "--end", "07:10", "--set", "headway_s=2.1",
        "--min-walk", "7", "--no-late-walk", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["result"]["label"] == "controller lookahead headway_s=2.1"
    assert report["controller_options"] == {"headway_s": 2.1}
    # and the timing it ran with
    assert report["timing"]["min_walk_s"] == 7.0 and report["timing"]["late_walks"] is False
    assert report["timing"]["yellow_s"] == 3.0 and report["timing"]["leading_walk_s"] == 0.0
    assert_one_line_error(its("signals", "evaluate", tiny.root, "--set", "headway_s"), "--set 'headway_s': expected KEY=VALUE")
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--controller", "greedy", "--set", "headway_s=2"),
        "controller greedy has no option 'headway_s'; its options: decide_every_s, halting_only, reach_m",
    )
    assert_one_line_error(
        its("signals", "evaluate", tiny.root, "--plan", tmp_path / "p.add.xml", "--set", "headway_s=2"),
        "--set applies to a controller",
    )
    out = tmp_path / "plan.add.xml"
    assert_one_line_error(
        its("signals", "optimize", tiny.root, "--method", "webster", "--set", "headway_s=2", "--out", out),
        "webster has no controller options",
    )
    assert_one_line_error(
        its("signals", "tune", tiny.root, "--vary", "headway_s=1,2,3,4,5,6,7,8", "--vary", "permissive=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9"),
        "the grid has 72 combinations; at most 64",
    )
    assert_one_line_error(its("signals", "tune", tiny.root, "--vary", "headway_s=1.9,x"), "headway_s='x'")
    assert_one_line_error(
        its("signals", "tune", tiny.root, "--vary", "headway_s=1.9", "--seeds", "5", "--first-held-out", "4"),
        "held-out seeds 4-6 overlap the training seeds 1-5: give a --first-held-out above 5",
    )
    assert not out.exists()


def test_tuning_per_person_counts_walkers_beside_the_people_in_cars():
    from types import SimpleNamespace

    from api.services.signals import PERSONS_PER_VEHICLE, _person_delay

    # 100 vehicles at 20 s (130 people) and 70 walkers losing 40 s
    run = SimpleNamespace(
        kpis={
            "delay_s": 20.0, "vehicles_arrived": 90, "vehicles_running": 8, "vehicles_never_inserted": 2,
            "persons_arrived": 70, "mean_person_time_loss_s": 40.0,
        }  # fmt: skip
    )
    people = 100 * PERSONS_PER_VEHICLE
    assert _person_delay(run) == pytest.approx((20.0 * people + 40.0 * 70) / (people + 70))
    # nobody walking: the vehicles' delay
    assert _person_delay(SimpleNamespace(kpis={"delay_s": 20.0, "vehicles_arrived": 100})) == 20.0
