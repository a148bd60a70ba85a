"""What-if changes and variants as data: the kinds a scenario or the command line may declare.

A :class:`Variant` is a named list of changes applied together to a scenario's baseline.
Changes are validated here (types, ranges, time windows); the simulation package turns each
kind into SUMO additional files, options or route files.

On the command line a change is written ``KIND:key=value,key=value``, lists joined with ``+``::

    scale-demand:factor=1.2
    close-edge:edges=main_3+main_4,begin=07:00,end=08:30
    close-lane:lanes=main_3_1,begin=07:00,end=08:00
    incident:lane=main_3_0,pos=120,begin=07:30,duration=15min
    speed-limit:edges=bypass_1+bypass_2,speed_kmh=50
    signal-program:file=plans/am.add.xml
    bus-frequency:line=2,factor=2
    bus-timetable:feed=schedules/winter.zip
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from its.errors import VariantError
from its.units import parse_duration, parse_time

__all__ = [
    "BusFrequency",
    "BusTimetable",
    "Change",
    "CloseEdge",
    "CloseLane",
    "Incident",
    "ScaleDemand",
    "SignalProgram",
    "SpeedLimit",
    "Variant",
    "parse_change",
    "parse_changes",
]

Time = Annotated[float, BeforeValidator(lambda v: parse_time(v) if isinstance(v, str) else v)]
Duration = Annotated[float, BeforeValidator(lambda v: parse_duration(v) if isinstance(v, str) else v)]
Names = Annotated[
    tuple[str, ...],
    BeforeValidator(lambda v: tuple(x for x in v.split("+") if x) if isinstance(v, str) else v),
]
Ids = Annotated[Names, Field(min_length=1)]


class _Change(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Window(_Change):
    begin: Time | None = Field(default=None, ge=0, description="Start of the change (seconds or HH:MM); default the run's begin.")
    end: Time | None = Field(default=None, ge=0, description="End of the change; default the run's end.")

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.begin is not None and self.end is not None and self.end <= self.begin:
            raise ValueError(f"end ({self.end:g} s) must be after begin ({self.begin:g} s)")
        return self


class ScaleDemand(_Change):
    """Scale the road demand by ``factor`` (buses keep their timetable)."""

    kind: Literal["scale-demand"] = "scale-demand"
    factor: float = Field(gt=0, le=10)


class CloseEdge(_Window):
    """Close whole edges for a time window; traffic is rerouted around them."""

    kind: Literal["close-edge"] = "close-edge"
    edges: Ids
    allow: Names = Field(default=(), description="Vehicle classes still allowed (e.g. emergency).")


class CloseLane(_Window):
    """Close single lanes for a time window; vehicles change lanes or reroute."""

    kind: Literal["close-lane"] = "close-lane"
    lanes: Ids


class Incident(_Change):
    """A blocked lane at a position for a duration (a broken-down vehicle)."""

    kind: Literal["incident"] = "incident"
    lane: str = Field(min_length=1)
    pos: float = Field(ge=0, description="Position of the blockage along the lane, metres.")
    begin: Time = Field(ge=0)
    duration: Duration = Field(gt=0)
    length: float = Field(default=10.0, gt=0, le=100, description="Blocked length, metres.")


class SpeedLimit(_Window):
    """A new speed limit on edges, optionally for a time window."""

    kind: Literal["speed-limit"] = "speed-limit"
    edges: Ids
    speed_kmh: float = Field(gt=0, le=200)


class SignalProgram(_Change):
    """Load other signal programs (a SUMO additional file with ``tlLogic``)."""

    kind: Literal["signal-program"] = "signal-program"
    file: Path


class BusFrequency(_Window):
    """Run a bus line ``factor`` times as often (2 halves the headway) within the window."""

    kind: Literal["bus-frequency"] = "bus-frequency"
    line: str = Field(min_length=1)
    factor: float = Field(gt=0, le=10)


class BusTimetable(_Change):
    """Run the scenario's buses to another timetable: a GTFS ``feed`` (the command line turns
    it into SUMO buses on the scenario's stops first) or a SUMO ``routes`` file of timetabled
    buses."""

    kind: Literal["bus-timetable"] = "bus-timetable"
    feed: Path | None = None
    routes: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> BusTimetable:
        if (self.feed is None) == (self.routes is None):
            raise ValueError("give either feed (a GTFS zip or folder) or routes (a SUMO route file)")
        return self


Change = Annotated[
    ScaleDemand | CloseEdge | CloseLane | Incident | SpeedLimit | SignalProgram | BusFrequency | BusTimetable,
    Field(discriminator="kind"),
]
_CHANGE = TypeAdapter(Change)
KINDS: tuple[str, ...] = (
    "scale-demand",
    "close-edge",
    "close-lane",
    "incident",
    "speed-limit",
    "signal-program",
    "bus-frequency",
    "bus-timetable",
)


@dataclass(frozen=True)
class Variant:
    """A named what-if: changes applied together on top of a scenario's baseline."""

    name: str
    changes: tuple[Any, ...] = field(default_factory=tuple)
    description: str = ""


def _explain(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"] if p not in KINDS)
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_change(data: dict[str, Any] | str, *, where: str = "change") -> Any:
    """Validate one change from a mapping (scenario.toml) or a ``KIND:key=value`` string."""
    if isinstance(data, str):
        data = _from_text(data, where=where)
    kind = data.get("kind")
    if kind not in KINDS:
        raise VariantError(f"{where}: unknown change kind {kind!r}; known: {', '.join(KINDS)}")
    try:
        return _CHANGE.validate_python(data)
    except ValidationError as error:
        raise VariantError(f"{where} ({kind}): {_explain(error)}") from None


def parse_changes(texts: list[str] | tuple[str, ...]) -> tuple[Any, ...]:
    """Validate several ad hoc changes given on the command line."""
    return tuple(parse_change(text, where=f"--variant {text!r}") for text in texts)


def _from_text(text: str, *, where: str) -> dict[str, Any]:
    kind, _, rest = text.partition(":")
    data: dict[str, Any] = {"kind": kind.strip()}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise VariantError(f"{where}: expected key=value, got {item!r}")
        data[key.strip().replace("-", "_")] = value.strip()
    return data
