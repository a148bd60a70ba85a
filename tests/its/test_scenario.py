from pathlib import Path

import pytest

from its.errors import ScenarioError, VariantError
from its.scenario import list_scenarios, load, resolve_variant


def test_load_by_name_folder_and_sumocfg(settings, tiny):
    by_name = load("tiny", settings=settings)
    assert by_name.name == "tiny" and by_name.begin == 25200 and by_name.end == 26100
    by_folder = load(tiny.root, settings=settings)
    assert by_folder.sumocfg == tiny.sumocfg
    by_cfg = load(tiny.sumocfg, settings=settings)
    assert by_cfg.sumocfg == tiny.sumocfg and by_cfg.build is None and not by_cfg.variants


def test_bundled_scenarios_are_listed(settings):
    names = {s.name for s in list_scenarios(settings)}
    assert {"tiny", "county"} <= names


def test_unknown_scenario_names_the_known_ones(settings):
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nowhere'.*tiny"):
        load("nowhere", settings=settings)


def test_missing_sumocfg_file(settings, tmp_path):
    with pytest.raises(ScenarioError, match="no such SUMO configuration"):
        load(tmp_path / "x.sumocfg", settings=settings)


def test_malformed_scenario_toml(settings, tmp_path):
    (tmp_path / "scenario.toml").write_text('sumocfg = "a.sumocfg"\nbegin = "soon"\n')
    with pytest.raises(ScenarioError, match="scenario.toml: begin"):
        load(tmp_path, settings=settings)
    (tmp_path / "scenario.toml").write_text("sumocfg = [\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load(tmp_path, settings=settings)


def test_duplicate_and_bad_variants(settings, tmp_path: Path):
    body = 'sumocfg = "a.sumocfg"\n'
    (tmp_path / "scenario.toml").write_text(
        body + '[[variants]]\nname = "v"\nchanges = [{kind = "scale-demand", factor = 2}]\n' * 2
    )
    with pytest.raises(ScenarioError, match="declared twice"):
        load(tmp_path, settings=settings)
    (tmp_path / "scenario.toml").write_text(body + '[[variants]]\nname = "v"\nchanges = [{kind = "fly"}]\n')
    with pytest.raises(VariantError, match="variant 'v' change 1: unknown change kind 'fly'"):
        load(tmp_path, settings=settings)


def test_resolve_variant_combines_declared_and_ad_hoc(tiny):
    assert resolve_variant(tiny, []) is None
    variant = resolve_variant(tiny, ["more-demand", "close-lane:lanes=A1B1_0"])
    assert [c.kind for c in variant.changes] == ["scale-demand", "close-lane"]
    with pytest.raises(VariantError, match="no variant 'nope'.*centre-closed, more-demand"):
        resolve_variant(tiny, ["nope"])
