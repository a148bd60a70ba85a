"""The scheduler's input spec (TOML or JSON), checked at the edge with pydantic.

A spec names the service day and its periods, the service standards, layovers, depots and
the fleet limit, the driver rules, and the lines: each with its stop patterns (given stop
by stop, or taken from an existing feed by the line's name), run times by period (given, or
measured from the feed's own trips, or supplied by the caller: the simulation's travel
times or live conditions) and demand per hour at the maximum load point. See
``examples/county-transit.toml`` for a commented example and the README for every field.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from its.errors import InputError
from its.units import parse_time

__all__ = [
    "AgencySpec",
    "BlockingSpec",
    "DepotSpec",
    "DriverSpec",
    "LineSpec",
    "PeriodSpec",
    "ScheduleSpec",
    "StandardsSpec",
    "StopSpec",
    "TransferSpec",
    "read_spec",
]

Time = Annotated[float, BeforeValidator(lambda v: parse_time(v) if isinstance(v, str) else v)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgencySpec(_Model):
    id: str = "agency"
    name: str
    url: str
    timezone: str
    lang: str | None = "en"


class ServiceSpec(_Model):
    id: str = "weekday"
    weekdays: tuple[bool, bool, bool, bool, bool, bool, bool] = (True, True, True, True, True, False, False)
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> ServiceSpec:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class PeriodSpec(_Model):
    name: str
    start: Time
    end: Time

    @model_validator(mode="after")
    def _ordered(self) -> PeriodSpec:
        if self.end <= self.start:
            raise ValueError(f"period {self.name}: end must be after start")
        return self


class StandardsSpec(_Model):
    policy_headway_min: float = Field(default=30.0, gt=0, description="The longest headway allowed.")
    min_headway_min: float = Field(default=5.0, gt=0)
    capacity: int = Field(default=60, gt=0, description="Places per vehicle.")
    load_factor: float = Field(default=0.85, gt=0, le=1.5, description="Allowed load at the maximum load point, share of capacity.")
    clockface: tuple[float, ...] = (5.0, 6.0, 7.5, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0)
    clockface_only: bool = False


class LayoverSpec(_Model):
    min_min: float = Field(default=5.0, ge=0)
    max_min: float | None = Field(default=None, ge=0, description="Longest wait at a terminal; longer waits go to the depot.")


class DepotSpec(_Model):
    id: str
    lon: float | None = None
    lat: float | None = None
    stop: str | None = Field(default=None, description="Place the depot at this stop instead of lon/lat.")
    capacity: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _placed(self) -> DepotSpec:
        if self.stop is None and (self.lon is None or self.lat is None):
            raise ValueError(f"depot {self.id}: give lon and lat, or a stop")
        return self


class BlockingSpec(_Model):
    interlining: bool = True
    max_block_h: float | None = Field(default=None, gt=0)
    pullout_cost_h: float | None = Field(default=None, ge=0, description="Price of a pull-out in platform hours; default fewest pull-outs.")
    deadheads: bool = True
    max_deadhead_min: float = Field(default=45.0, ge=0)
    deadhead_speed_kmh: float = Field(default=25.0, gt=0, description="Over straight-line distance x 1.3, when no road network is given.")
    fleet_limit: int | None = Field(default=None, gt=0)


class DriverSpec(_Model):
    max_spread_h: float = Field(default=12.0, gt=0)
    max_driving_h: float = Field(default=4.5, gt=0, description="Driving before a break.")
    break_min: float = Field(default=30.0, ge=0)
    min_duty_h: float = Field(default=4.0, ge=0, description="Shorter duties are paid this much.")
    max_duty_h: float = Field(default=9.0, gt=0)
    sign_on_min: float = Field(default=10.0, ge=0)
    sign_off_min: float = Field(default=10.0, ge=0)
    split_duties: bool = True


class StopSpec(_Model):
    id: str
    name: str
    lon: float
    lat: float
    station: str | None = None


class TransferSpec(_Model):
    hub: str = Field(description="A station (or stop) id both lines serve.")
    arrive: str = Field(description="Line name and direction arriving, e.g. '1/0'.")
    depart: str = Field(description="Line name and direction departing, e.g. '3/1'.")
    min_min: float = Field(default=2.0, ge=0)
    max_min: float = Field(default=10.0, gt=0)


class LineSpec(_Model):
    name: str = Field(description="The line's name (its route_short_name); lines in a feed are found by it.")
    long_name: str = ""
    color: str | None = None
    route_type: int = 3
    interline: bool = True
    outbound: tuple[str, ...] = Field(default=(), description="Stop ids in order; empty: the feed's busiest pattern.")
    inbound: tuple[str, ...] = ()
    run_times_min: dict[str, float | tuple[float, float]] = Field(
        default_factory=dict, description="Period name -> minutes, or (outbound, inbound) minutes; missing periods come from the feed."
    )
    demand: dict[str, float | tuple[float, float]] = Field(
        default_factory=dict, description="Hour ('07' or '07:00') -> passengers an hour at the maximum load point, or (outbound, inbound)."
    )
    periods: tuple[str, ...] = Field(default=(), description="Periods the line runs in; default all.")


class ScheduleSpec(_Model):
    agency: AgencySpec | None = None
    service: ServiceSpec
    feed: str | None = Field(default=None, description="A GTFS feed (path) for stops, patterns, shapes and run times.")
    scenario: str | None = Field(default=None, description="A scenario whose own GTFS feed to use (built if needed).")
    periods: tuple[PeriodSpec, ...] = Field(min_length=1)
    standards: StandardsSpec = StandardsSpec()
    layover: LayoverSpec = LayoverSpec()
    blocking: BlockingSpec = BlockingSpec()
    depots: tuple[DepotSpec, ...] = ()
    drivers: DriverSpec = DriverSpec()
    stops: tuple[StopSpec, ...] = ()
    lines: tuple[LineSpec, ...] = Field(min_length=1)
    transfers: tuple[TransferSpec, ...] = ()
    terminal_radius_m: float = Field(default=150.0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleSpec:
        names = [p.name for p in self.periods]
        if len(set(names)) != len(names):
            raise ValueError("period names must be unique")
        ordered = sorted(self.periods, key=lambda p: p.start)
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b.start < a.end:
                raise ValueError(f"periods {a.name} and {b.name} overlap")
        lines = [line.name for line in self.lines]
        if len(set(lines)) != len(lines):
            raise ValueError("line names must be unique")
        for line in self.lines:
            unknown = [p for p in (*line.periods, *line.run_times_min) if p not in names]
            if unknown:
                raise ValueError(f"line {line.name}: unknown period(s) {', '.join(unknown)}; periods are {', '.join(names)}")
        if self.feed is None and self.scenario is None:
            if not self.stops:
                raise ValueError("give stops (or a feed or scenario to take them from)")
            if self.agency is None:
                raise ValueError("give an agency (or a feed or scenario to take it from)")
        return self


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def read_spec(path: Path) -> ScheduleSpec:
    """Read a spec from a ``.toml`` or ``.json`` file.

    Raises
    ------
    InputError
        If the file is missing, not valid TOML/JSON, or does not fit the spec (the message
        names the field).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read the spec: {error.strerror}") from None
    try:
        raw: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {error}") from None
    try:
        return ScheduleSpec.model_validate(raw)
    except ValidationError as error:
        raise InputError(f"{path}: {_explain(error)}") from None
