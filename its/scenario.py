"""The ``Scenario`` spec and its loader: a folder with ``scenario.toml``, or any ``.sumocfg``.

A target names a scenario in three ways: a name under the scenarios folder (``county``), a
scenario folder (``./my-town``), or a SUMO configuration file (``~/nets/town.sumocfg``), so an
engineer can point every command at their own network.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from its.changes import Variant, parse_change, parse_changes
from its.errors import ScenarioError, VariantError
from its.settings import Settings
from its.units import parse_time

__all__ = [
    "BuildSpec",
    "resolve_variant",
    "DemandClass",
    "DemandSpec",
    "KpiSet",
    "Scenario",
    "list_scenarios",
    "load",
]

Time = Annotated[float, BeforeValidator(lambda v: parse_time(v) if isinstance(v, str) else v)]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KpiSet(_Spec):
    """Which of SUMO's outputs a run collects. Trip and overall statistics are always on.

    The costly ones are off by default: measured here SUMO runs about 1.4x slower with
    emissions on every vehicle and 4.7x slower with the SSM device on every vehicle.
    """

    edges: bool = Field(default=True, description="edgeData: per-edge speed, flow and density series.")
    detectors: bool = Field(default=True, description="Induction loops on every signalised approach.")
    emissions: bool = Field(default=False, description="CO2, NOx, PMx and fuel per trip.")
    ssm: bool = Field(default=False, description="Surrogate safety: conflicts with TTC below the threshold.")
    edge_period_s: float = Field(default=300.0, gt=0)
    detector_period_s: float = Field(default=300.0, gt=0)
    ssm_probability: float = Field(default=0.1, gt=0, le=1, description="Share of vehicles with an SSM device.")
    ssm_range_m: float = Field(default=30.0, gt=0)
    ttc_threshold_s: float = Field(default=1.5, gt=0)

    def with_(self, **switches: Any) -> KpiSet:
        """A copy with some switches changed (``None`` values are ignored)."""
        return self.model_copy(update={k: v for k, v in switches.items() if v is not None})


class DemandClass(_Spec):
    """A vehicle class of the generated demand: a SUMO vType id and its share of trips."""

    type: str
    share: float = Field(gt=0, le=1)


class DemandSpec(_Spec):
    """Origin–destination demand: zones, a peak-hour matrix and a time-of-day profile."""

    zones: Path = Field(description="SUMO TAZ file (tazs with source/sink edges).")
    od: Path = Field(description="CSV matrix: first column origin zone, header destination zones, trips per peak hour.")
    vtypes: Path = Field(description="SUMO additional file with the vType definitions.")
    profile: tuple[tuple[Time, float], ...] = Field(
        min_length=1,
        description="(slot start, factor of the peak-hour matrix) pairs; the last slot ends at the scenario's end.",
    )
    classes: tuple[DemandClass, ...] = Field(min_length=1)
    seed: int = 42


class BuildSpec(_Spec):
    """How to build a scenario from small plain sources with SUMO's own tools."""

    nodes: Path
    edges: Path
    connections: Path | None = None
    types: Path | None = None
    netconvert: tuple[str, ...] = ()
    demand: DemandSpec | None = None
    transit: Path | None = Field(default=None, description="TOML with stops, lines and headways.")
    detector_distance_m: float = Field(default=30.0, gt=0, description="Loop distance upstream of the stop line.")


class _ScenarioFile(_Spec):
    name: str | None = None
    title: str = ""
    description: str = ""
    sumocfg: Path
    begin: Time | None = None
    end: Time | None = None
    sumo_options: tuple[str, ...] = ()
    kpis: KpiSet = KpiSet()
    build: BuildSpec | None = None
    gtfs: Path | None = None
    bus_routes: Path | None = None
    detectors: Path | None = None
    variants: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A runnable scenario: a SUMO configuration plus what the system knows around it.

    Paths are absolute. ``build`` is set when the scenario is generated from plain sources;
    ``sumocfg`` then exists only after it was built. ``gtfs`` is the folder of the scenario's
    transit feed, ``bus_routes`` the SUMO route file of its buses, and ``detectors`` an
    additional file whose induction loops are the scenario's detector layout (by default a
    loop on every signalised approach).
    """

    name: str
    root: Path
    sumocfg: Path
    title: str = ""
    description: str = ""
    begin: float | None = None
    end: float | None = None
    sumo_options: tuple[str, ...] = ()
    kpis: KpiSet = KpiSet()
    build: BuildSpec | None = None
    gtfs: Path | None = None
    bus_routes: Path | None = None
    detectors: Path | None = None
    variants: Mapping[str, Variant] = field(default_factory=dict)

    @property
    def built(self) -> bool:
        """Whether the SUMO configuration exists (always true for a plain ``.sumocfg``)."""
        return self.sumocfg.is_file()

    def variant(self, name: str) -> Variant:
        """The declared variant called ``name``."""
        try:
            return self.variants[name]
        except KeyError:
            known = ", ".join(sorted(self.variants)) or "none declared"
            raise VariantError(
                f"scenario {self.name!r} has no variant {name!r} (known: {known}); "
                "or give an ad hoc change such as scale-demand:factor=1.2"
            ) from None

    def path(self, relative: Path | str) -> Path:
        """A path of the scenario folder, resolved."""
        return (self.root / relative).resolve()


def load(target: str | Path, *, settings: Settings) -> Scenario:
    """Load a scenario by name, folder or ``.sumocfg`` file.

    Raises
    ------
    ScenarioError
        If the target is none of these, or its ``scenario.toml`` is malformed.
    """
    text = str(target)
    bare_name = not isinstance(target, Path) and "/" not in text and "\\" not in text and not text.endswith(".sumocfg")
    if bare_name and text and (settings.scenarios_dir / text / "scenario.toml").is_file():
        # A bare name means a bundled scenario, even if the working folder has one like it
        # (write ./county for that folder).
        return _from_folder((settings.scenarios_dir / text).resolve())
    path = Path(target).expanduser()
    if path.suffix == ".sumocfg" or path.is_file():
        if not path.is_file():
            raise ScenarioError(f"{path}: no such SUMO configuration file")
        if path.suffix != ".sumocfg":
            raise ScenarioError(f"{path}: not a scenario; give a .sumocfg file or a scenario folder")
        return _from_sumocfg(path.resolve())
    if path.is_dir():
        return _from_folder(path.resolve())
    known = ", ".join(s.name for s in list_scenarios(settings)) or "none"
    raise ScenarioError(
        f"unknown scenario {str(target)!r}: not a scenario name ({known}), "
        "a scenario folder, or a .sumocfg file"
    )


def list_scenarios(settings: Settings) -> list[Scenario]:
    """Every scenario folder (one with ``scenario.toml``) under the scenarios folder."""
    root = settings.scenarios_dir
    if not root.is_dir():
        return []
    return [_from_folder(p.resolve()) for p in sorted(root.iterdir()) if (p / "scenario.toml").is_file()]


def _from_sumocfg(cfg: Path) -> Scenario:
    return Scenario(name=cfg.stem.removesuffix(".sumo"), root=cfg.parent, sumocfg=cfg)


def _from_folder(folder: Path) -> Scenario:
    spec_file = folder / "scenario.toml"
    if not spec_file.is_file():
        configs = sorted(folder.glob("*.sumocfg"))
        if len(configs) == 1:
            return _from_sumocfg(configs[0])
        raise ScenarioError(
            f"{folder}: no scenario.toml and {'several' if configs else 'no'} .sumocfg files; "
            "name the .sumocfg to run"
        )
    try:
        raw = tomllib.loads(spec_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{spec_file}: not valid TOML: {error}") from None
    try:
        spec = _ScenarioFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScenarioError(f"{spec_file}: {where}: {first['msg']}") from None
    if spec.begin is not None and spec.end is not None and spec.end <= spec.begin:
        raise ScenarioError(f"{spec_file}: end must be after begin")
    variants: dict[str, Variant] = {}
    for i, entry in enumerate(spec.variants):
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ScenarioError(f"{spec_file}: variants[{i}] needs a name")
        if name in variants:
            raise ScenarioError(f"{spec_file}: variant {name!r} is declared twice")
        changes = entry.get("changes", [])
        if not isinstance(changes, list) or not changes:
            raise ScenarioError(f"{spec_file}: variant {name!r} needs at least one change")
        variants[name] = Variant(
            name=name,
            description=str(entry.get("description", "")),
            changes=tuple(
                parse_change(dict(c), where=f"{spec_file.name}: variant {name!r} change {j + 1}")
                for j, c in enumerate(changes)
            ),
        )
    return Scenario(
        name=spec.name or folder.name,
        root=folder,
        sumocfg=(folder / spec.sumocfg).resolve(),
        title=spec.title,
        description=spec.description,
        begin=spec.begin,
        end=spec.end,
        sumo_options=spec.sumo_options,
        kpis=spec.kpis,
        build=spec.build,
        gtfs=(folder / spec.gtfs).resolve() if spec.gtfs else None,
        bus_routes=(folder / spec.bus_routes).resolve() if spec.bus_routes else None,
        detectors=(folder / spec.detectors).resolve() if spec.detectors else None,
        variants=variants,
    )


def resolve_variant(scenario: Scenario, specs: list[str] | tuple[str, ...]) -> Variant | None:
    """One variant from command-line values: declared names and ad hoc changes, combined.

    ``["main-street-closure", "scale-demand:factor=1.1"]`` applies the declared variant's
    changes and then the ad hoc one. No values means the baseline (None).
    """
    if not specs:
        return None
    changes: list[Any] = []
    descriptions = []
    for spec in specs:
        if ":" in spec:
            changes.extend(parse_changes([spec]))
            descriptions.append(spec)
        else:
            declared = scenario.variant(spec)
            changes.extend(declared.changes)
            descriptions.append(declared.description or declared.name)
    name = "+".join(specs) if len(specs) > 1 or ":" in specs[0] else specs[0]
    return Variant(name=name, changes=tuple(changes), description="; ".join(descriptions))
