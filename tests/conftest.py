"""Shared fixtures: the tiny scenario built once into a temporary folder, the shared data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from its.scenario import Scenario, load
from its.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(scenarios_dir=REPO / "scenarios", runs_dir=tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny scenario's sources, so tests never write into the repository."""
    target = tmp_path_factory.mktemp("scenarios") / "tiny"
    shutil.copytree(REPO / "scenarios" / "tiny", target, ignore=shutil.ignore_patterns("build"))
    return target


@pytest.fixture(scope="session")
def tiny(tiny_dir: Path, settings: Settings) -> Scenario:
    """The tiny scenario, built (netconvert, od2trips, duarouter) once per test session."""
    from api.services import build_scenario

    scenario = load(tiny_dir, settings=settings)
    build_scenario(scenario)
    return scenario


@pytest.fixture
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the shared real data folder {SHARED} is absent (a user's clone)")
    return SHARED


@pytest.fixture(scope="session")
def crossings_cfg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3x3 grid of signals with sidewalks and pedestrian crossings (netgenerate), cars
    through its centre B1 both ways and pedestrians walking across it: 120 cars, 60 persons."""
    import subprocess

    from sumolib import checkBinary

    folder = tmp_path_factory.mktemp("crossings")
    subprocess.run(
        [
            checkBinary("netgenerate"), "--grid", "--grid.number", "3", "--grid.length", "150",
            "--default.lanenumber", "2", "--default-junction-type", "traffic_light",
            "--sidewalks.guess", "--crossings.guess", "--no-turnarounds", "-o", str(folder / "net.net.xml"),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    (folder / "demand.rou.xml").write_text(
        "<routes>\n"
        '  <flow id="we" begin="0" end="600" number="40" from="A1B1" to="B1C1" departLane="best"/>\n'
        '  <flow id="sn" begin="0" end="600" number="40" from="B0B1" to="B1B2" departLane="best"/>\n'
        '  <flow id="ns" begin="0" end="600" number="40" from="B2B1" to="B1B0" departLane="best"/>\n'
        '  <personFlow id="walkers" begin="0" end="600" number="60">\n'
        '    <walk from="A1B1" to="B1C1"/>\n'
        "  </personFlow>\n"
        "</routes>\n",
        encoding="utf-8",
    )
    cfg = folder / "crossings.sumocfg"
    cfg.write_text(
        "<configuration><input>"
        '<net-file value="net.net.xml"/><route-files value="demand.rou.xml"/>'
        '</input><time><begin value="0"/><end value="1200"/></time></configuration>\n',
        encoding="utf-8",
    )
    return cfg
