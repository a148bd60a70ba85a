"""The `its` command line end to end: real processes, real exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ITS = [sys.executable, "-c", "from api.cli import main; main()"]


def its(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ITS_DEBUG", None)
    return subprocess.run([*ITS, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def assert_one_line_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip() and "━" not in ln]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0], lines[0]


@pytest.fixture
def cfg_dir(tiny, tmp_path) -> Path:
    """A plain SUMO configuration beside copies of the tiny scenario's built files."""
    folder = tmp_path / "plain"
    shutil.copytree(tiny.sumocfg.parent, folder)
    shutil.copy(tiny.root / "sources" / "vtypes.add.xml", folder / "vtypes.add.xml")
    cfg = (folder / "tiny.sumocfg").read_text().replace("../sources/vtypes.add.xml", "vtypes.add.xml")
    (folder / "tiny.sumocfg").write_text(cfg)
    return folder


def test_unknown_scenario():
    assert_one_line_error(its("simulate", "atlantis"), "unknown scenario 'atlantis'")


def test_unknown_variant(tiny):
    assert_one_line_error(its("simulate", tiny.root, "--variant", "flood"), "has no variant 'flood'")


def test_bad_ad_hoc_change(tiny):
    assert_one_line_error(its("simulate", tiny.root, "-v", "scale-demand:factor=0"), "factor")


def test_malformed_sumocfg(tmp_path):
    cfg = tmp_path / "broken.sumocfg"
    cfg.write_text("<configuration><input><net-file value='a.net.xml'/></input>\n")
    assert_one_line_error(its("simulate", cfg), "broken.sumocfg:2:0: malformed XML")


def test_sumocfg_naming_missing_files(cfg_dir):
    cfg = cfg_dir / "tiny.sumocfg"
    cfg.write_text(cfg.read_text().replace("routes.rou.xml", "gone.rou.xml"))
    assert_one_line_error(its("simulate", cfg), "names missing file(s):")


def test_malformed_route_file(cfg_dir):
    (cfg_dir / "routes.rou.xml").write_text("<routes><vehicle id='x' depart='0'>\n</routes>\n")
    done = its("simulate", cfg_dir / "tiny.sumocfg")
    assert_one_line_error(done, "SUMO stopped:")
    assert "routes.rou.xml" in done.stderr


def test_end_before_begin(tiny):
    assert_one_line_error(its("simulate", tiny.root, "--begin", "07:10", "--end", "07:00"), "must be after --begin")
    assert_one_line_error(its("simulate", tiny.root, "--end", "later"), "--end: 'later' is not a time")


def test_compare_needs_a_variant(tiny):
    assert_one_line_error(its("compare", tiny.root), "compare needs --variant")


@pytest.mark.sumo
def test_simulate_json_on_a_plain_sumocfg(cfg_dir, tmp_path):
    done = its("simulate", cfg_dir / "tiny.sumocfg", "--end", "07:05", "--json", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for key in (
        "vehicles_inserted",
        "vehicles_arrived",
        "teleports",
        "mean_time_loss_s",
        "mean_trip_duration_s",
        "mean_waiting_time_s",
        "co2_kg",
        "conflicts",
        "wall_time_s",
    ):
        assert key in data
    assert data["vehicles_arrived"] > 0 and data["end_s"] == 25500
    assert json.loads((tmp_path / "out" / "kpis.json").read_text())["seed"] == 42


def test_scenario_list_json():
    done = its("scenario", "list", "--json")
    assert done.returncode == 0
    names = {s["name"] for s in json.loads(done.stdout)}
    assert "tiny" in names
