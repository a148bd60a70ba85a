"""The GTFS Schedule reference as data: files, fields and their types, primary keys, and the
references between files (the joins partridge keeps as a small graph).

The validator checks a feed against these tables and the reader uses them to know which
files and columns matter; nothing here reads a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FILES", "REFERENCES", "Field", "FileSpec", "Reference", "ROUTE_TYPES"]


@dataclass(frozen=True)
class Field:
    """A column: its GTFS type and whether every row must fill it.

    ``kind`` is one of ``id``, ``text``, ``url``, ``email``, ``phone``, ``timezone``,
    ``language``, ``color``, ``time``, ``date``, ``latitude``, ``longitude``, ``float``,
    ``nonneg_float``, ``integer``, ``nonneg_integer``, ``positive_integer``, ``enum``.
    ``values`` lists an enum's allowed values. Conditionally required fields are
    ``required=False`` here and checked by their own rule.
    """

    kind: str = "text"
    required: bool = False
    values: tuple[int, ...] = ()


@dataclass(frozen=True)
class FileSpec:
    """A GTFS file: whether the feed must have it, its fields and primary key."""

    required: bool
    fields: dict[str, Field] = field(default_factory=dict)
    key: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """``file.column`` must name an existing ``targets[i].target_column`` (empty is allowed)."""

    file: str
    column: str
    targets: tuple[tuple[str, str], ...]


_BOOL = (0, 1)
_DAY = Field("enum", True, _BOOL)

#: Route types: the basic ones and the extended (Hierarchical Vehicle Type) ones.
ROUTE_TYPES: tuple[int, ...] = (
    0, 1, 2, 3, 4, 5, 6, 7, 11, 12,
    *range(100, 118), *range(200, 210), *range(400, 406), *range(700, 717), 800,
    *range(900, 907), 1000, 1100, *range(1200, 1201), *range(1300, 1308), *range(1400, 1403),
    *range(1500, 1508), *range(1700, 1703),
)  # fmt: skip

FILES: dict[str, FileSpec] = {
    "agency.txt": FileSpec(
        True,
        {
            "agency_id": Field("id"),
            "agency_name": Field("text", True),
            "agency_url": Field("url", True),
            "agency_timezone": Field("timezone", True),
            "agency_lang": Field("language"),
            "agency_phone": Field("phone"),
            "agency_fare_url": Field("url"),
            "agency_email": Field("email"),
        },
        ("agency_id",),
    ),
    "stops.txt": FileSpec(
        True,
        {
            "stop_id": Field("id", True),
            "stop_code": Field("text"),
            "stop_name": Field("text"),
            "tts_stop_name": Field("text"),
            "stop_desc": Field("text"),
            "stop_lat": Field("latitude"),
            "stop_lon": Field("longitude"),
            "zone_id": Field("id"),
            "stop_url": Field("url"),
            "location_type": Field("enum", False, (0, 1, 2, 3, 4)),
            "parent_station": Field("id"),
            "stop_timezone": Field("timezone"),
            "wheelchair_boarding": Field("enum", False, (0, 1, 2)),
            "level_id": Field("id"),
            "platform_code": Field("text"),
        },
        ("stop_id",),
    ),
    "routes.txt": FileSpec(
        True,
        {
            "route_id": Field("id", True),
            "agency_id": Field("id"),
            "route_short_name": Field("text"),
            "route_long_name": Field("text"),
            "route_desc": Field("text"),
            "route_type": Field("enum", True, ROUTE_TYPES),
            "route_url": Field("url"),
            "route_color": Field("color"),
            "route_text_color": Field("color"),
            "route_sort_order": Field("nonneg_integer"),
            "continuous_pickup": Field("enum", False, (0, 1, 2, 3)),
            "continuous_drop_off": Field("enum", False, (0, 1, 2, 3)),
            "network_id": Field("id"),
        },
        ("route_id",),
    ),
    "trips.txt": FileSpec(
        True,
        {
            "route_id": Field("id", True),
            "service_id": Field("id", True),
            "trip_id": Field("id", True),
            "trip_headsign": Field("text"),
            "trip_short_name": Field("text"),
            "direction_id": Field("enum", False, _BOOL),
            "block_id": Field("id"),
            "shape_id": Field("id"),
            "wheelchair_accessible": Field("enum", False, (0, 1, 2)),
            "bikes_allowed": Field("enum", False, (0, 1, 2)),
        },
        ("trip_id",),
    ),
    "stop_times.txt": FileSpec(
        True,
        {
            "trip_id": Field("id", True),
            "arrival_time": Field("time"),
            "departure_time": Field("time"),
            "stop_id": Field("id", True),
            "stop_sequence": Field("nonneg_integer", True),
            "stop_headsign": Field("text"),
            "pickup_type": Field("enum", False, (0, 1, 2, 3)),
            "drop_off_type": Field("enum", False, (0, 1, 2, 3)),
            "continuous_pickup": Field("enum", False, (0, 1, 2, 3)),
            "continuous_drop_off": Field("enum", False, (0, 1, 2, 3)),
            "shape_dist_traveled": Field("nonneg_float"),
            "timepoint": Field("enum", False, _BOOL),
        },
        ("trip_id", "stop_sequence"),
    ),
    "calendar.txt": FileSpec(
        False,
        {
            "service_id": Field("id", True),
            **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), _DAY),
            "start_date": Field("date", True),
            "end_date": Field("date", True),
        },
        ("service_id",),
    ),
    "calendar_dates.txt": FileSpec(
        False,
        {
            "service_id": Field("id", True),
            "date": Field("date", True),
            "exception_type": Field("enum", True, (1, 2)),
        },
        ("service_id", "date"),
    ),
    "shapes.txt": FileSpec(
        False,
        {
            "shape_id": Field("id", True),
            "shape_pt_lat": Field("latitude", True),
            "shape_pt_lon": Field("longitude", True),
            "shape_pt_sequence": Field("nonneg_integer", True),
            "shape_dist_traveled": Field("nonneg_float"),
        },
        ("shape_id", "shape_pt_sequence"),
    ),
    "frequencies.txt": FileSpec(
        False,
        {
            "trip_id": Field("id", True),
            "start_time": Field("time", True),
            "end_time": Field("time", True),
            "headway_secs": Field("positive_integer", True),
            "exact_times": Field("enum", False, _BOOL),
        },
        ("trip_id", "start_time"),
    ),
    "transfers.txt": FileSpec(
        False,
        {
            "from_stop_id": Field("id"),
            "to_stop_id": Field("id"),
            "from_route_id": Field("id"),
            "to_route_id": Field("id"),
            "from_trip_id": Field("id"),
            "to_trip_id": Field("id"),
            "transfer_type": Field("enum", True, (0, 1, 2, 3, 4, 5)),
            "min_transfer_time": Field("nonneg_integer"),
        },
    ),
    "feed_info.txt": FileSpec(
        False,
        {
            "feed_publisher_name": Field("text", True),
            "feed_publisher_url": Field("url", True),
            "feed_lang": Field("language", True),
            "default_lang": Field("language"),
            "feed_start_date": Field("date"),
            "feed_end_date": Field("date"),
            "feed_version": Field("text"),
            "feed_contact_email": Field("email"),
            "feed_contact_url": Field("url"),
        },
    ),
    "fare_attributes.txt": FileSpec(
        False,
        {
            "fare_id": Field("id", True),
            "price": Field("nonneg_float", True),
            "currency_type": Field("text", True),
            "payment_method": Field("enum", True, _BOOL),
            "transfers": Field("enum", False, (0, 1, 2)),
            "agency_id": Field("id"),
            "transfer_duration": Field("nonneg_integer"),
        },
        ("fare_id",),
    ),
    "fare_rules.txt": FileSpec(
        False,
        {
            "fare_id": Field("id", True),
            "route_id": Field("id"),
            "origin_id": Field("id"),
            "destination_id": Field("id"),
            "contains_id": Field("id"),
        },
    ),
    "levels.txt": FileSpec(False, {"level_id": Field("id", True), "level_index": Field("float", True), "level_name": Field("text")}, ("level_id",)),
    "pathways.txt": FileSpec(False, {"pathway_id": Field("id", True), "from_stop_id": Field("id", True), "to_stop_id": Field("id", True)}, ("pathway_id",)),
    "translations.txt": FileSpec(False),
    "attributions.txt": FileSpec(False),
    "areas.txt": FileSpec(False),
    "stop_areas.txt": FileSpec(False),
    "networks.txt": FileSpec(False),
    "route_networks.txt": FileSpec(False),
    "shapes_geo.txt": FileSpec(False),
    "booking_rules.txt": FileSpec(False),
    "location_groups.txt": FileSpec(False),
    "location_group_stops.txt": FileSpec(False),
    "timeframes.txt": FileSpec(False),
    "rider_categories.txt": FileSpec(False),
    "fare_media.txt": FileSpec(False),
    "fare_products.txt": FileSpec(False),
    "fare_leg_rules.txt": FileSpec(False),
    "fare_leg_join_rules.txt": FileSpec(False),
    "fare_transfer_rules.txt": FileSpec(False),
}

REFERENCES: tuple[Reference, ...] = (
    Reference("routes.txt", "agency_id", (("agency.txt", "agency_id"),)),
    Reference("stops.txt", "parent_station", (("stops.txt", "stop_id"),)),
    Reference("trips.txt", "route_id", (("routes.txt", "route_id"),)),
    Reference("trips.txt", "service_id", (("calendar.txt", "service_id"), ("calendar_dates.txt", "service_id"))),
    Reference("trips.txt", "shape_id", (("shapes.txt", "shape_id"),)),
    Reference("stop_times.txt", "trip_id", (("trips.txt", "trip_id"),)),
    Reference("stop_times.txt", "stop_id", (("stops.txt", "stop_id"),)),
    Reference("frequencies.txt", "trip_id", (("trips.txt", "trip_id"),)),
    Reference("transfers.txt", "from_stop_id", (("stops.txt", "stop_id"),)),
    Reference("transfers.txt", "to_stop_id", (("stops.txt", "stop_id"),)),
    Reference("transfers.txt", "from_route_id", (("routes.txt", "route_id"),)),
    Reference("transfers.txt", "to_route_id", (("routes.txt", "route_id"),)),
    Reference("transfers.txt", "from_trip_id", (("trips.txt", "trip_id"),)),
    Reference("transfers.txt", "to_trip_id", (("trips.txt", "trip_id"),)),
    Reference("fare_rules.txt", "fare_id", (("fare_attributes.txt", "fare_id"),)),
    Reference("fare_rules.txt", "route_id", (("routes.txt", "route_id"),)),
    Reference("pathways.txt", "from_stop_id", (("stops.txt", "stop_id"),)),
    Reference("pathways.txt", "to_stop_id", (("stops.txt", "stop_id"),)),
    Reference("stops.txt", "level_id", (("levels.txt", "level_id"),)),
)
