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
