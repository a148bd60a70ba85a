"""What-if comparison over seeds through the job runner, and its reports."""

from __future__ import annotations

import json

import pytest

from its.jobs import JobRunner
from simulation.compare import compare
from simulation.report import write_comparison

pytestmark = pytest.mark.sumo


def test_more_demand_is_measured_as_more_vehicles(tiny, tmp_path):
    with JobRunner.local(2) as runner:
        seen: set[int] = set()
        comparison = compare(
            tiny,
            tiny.variant("more-demand"),
            seeds=[1, 2],
            runner=runner,
            out_dir=tmp_path,
            progress=lambda index, t: seen.add(index),
        )
    assert seen == {0, 1, 2, 3}
    rows = {r.name: r for r in comparison.rows}
    loaded = rows["vehicles_inserted"]
    assert loaded.variant.mean > 1.15 * loaded.baseline.mean
    assert loaded.change.significant and loaded.verdict == "higher"
    assert rows["mean_time_loss_s"].baseline.n == 2
    assert "co2_kg" not in rows  # emissions were off: not measured, not reported
    assert (tmp_path / "runs" / "baseline-seed1" / "tripinfo.csv").is_file()

    files = write_comparison(comparison, tmp_path, net_file=tiny.sumocfg.parent / "tiny.net.xml")
    data = json.loads(files["json"].read_text())
    assert data["variant"] == "more-demand" and data["seeds"] == [1, 2]
    assert data["kpis"]["vehicles_inserted"]["significant"] is True
    assert len(data["kpis"]["mean_time_loss_s"]["baseline"]["ci95"]) == 2
    assert "| vehicles_inserted |" in files["markdown"].read_text()
    for key in ("chart", "map"):
        assert files[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_variant_that_does_not_fit_fails_before_any_run(tiny, tmp_path):
    from its.changes import Variant, parse_changes
    from its.errors import VariantError

    with JobRunner.local(2) as runner, pytest.raises(VariantError, match="no such file"):
        compare(
            tiny,
            Variant("missing plan", parse_changes(["signal-program:file=missing.add.xml"])),
            seeds=[1, 2],
            runner=runner,
            out_dir=tmp_path,
            progress=lambda index, t: pytest.fail("a run started"),
        )
    assert not (tmp_path / "runs").exists()
