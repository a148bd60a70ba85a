"""The GTFS validator: a feed checked against the canonical GTFS Schedule rules, each problem
a :class:`Notice` with its file, row and field.

Modelled on the canonical validator (MobilityData's gtfs-validator): the same notice codes
and severities where it has them. *Errors* break the reference ("must"), *warnings* its
best practices ("should"), *infos* are things worth knowing (unknown files or columns).
This module checks files, columns, field types, keys and references between files; the
rules about meaning (times in order, blocks that overlap, stations, calendars, shapes) are
in :mod:`gtfs.checks`.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from gtfs.checks import semantic_notices
from gtfs.feed import Feed
from gtfs.notices import ERROR, INFO, WARNING, Notice, Report
from gtfs.schema import FILES, REFERENCES, Field

__all__ = ["Notice", "Report", "validate"]

def validate(feed: Feed, *, today: date | None = None) -> Report:
    """Check a feed; ``today`` (default: the date now) decides whether it has expired."""
    notices: list[Notice] = []
    notices += _file_notices(feed)
    notices += _field_notices(feed)
    notices += _key_notices(feed)
    notices += _reference_notices(feed)
    notices += semantic_notices(feed, today=today or date.today())
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    notices.sort(key=lambda n: (order[n.severity], n.file, n.row or 0, n.code))
    return Report(feed.source, tuple(notices))


def _file_notices(feed: Feed) -> Iterable[Notice]:
    for name, spec in FILES.items():
        if spec.required and name not in feed.files:
            yield Notice("missing_required_file", ERROR, name, f"{name} is required and missing")
    if "calendar.txt" not in feed.files and "calendar_dates.txt" not in feed.files:
        yield Notice(
            "missing_calendar_and_calendar_date_files", ERROR, "calendar.txt", "a feed needs calendar.txt or calendar_dates.txt (or both)"
        )
    for name, raw in feed.files.items():
        if name not in FILES:
            yield Notice("unknown_file", INFO, name, f"{name} is not a GTFS file; it is ignored")
        if raw.encoding != "utf-8":
            yield Notice(
                "non_utf8_encoding", ERROR, name, f"{name} is not UTF-8 (read as {raw.encoding}); GTFS files must be UTF-8"
            )
        if raw.table is None:
            yield Notice("csv_parsing_failed", ERROR, name, f"{name} cannot be parsed as CSV: {raw.error}")
            continue
        for row in raw.bad_rows:
            yield Notice("invalid_row_length", ERROR, name, "the row has a different number of values than the header", row=row)
        stripped = [c.strip() for c in raw.columns]
        seen: set[str] = set()
        for column in stripped:
            if column in seen:
                yield Notice("duplicated_column", ERROR, name, f"column {column} appears twice in the header", row=1, field=column)
            seen.add(column)
            if not column:
                yield Notice("empty_column_name", WARNING, name, "a column has no name", row=1)
        spec = FILES.get(name)
        if not raw.columns or (spec is not None and spec.required and raw.table.empty):
            yield Notice("empty_file", ERROR, name, f"{name} has no {'header' if not raw.columns else 'rows'}")
        if spec is not None and spec.fields:
            for column in stripped:
                if column and column not in spec.fields:
                    yield Notice("unknown_column", INFO, name, f"column {column} is not in the GTFS reference", row=1, field=column)


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")
_TIME = re.compile(r"^\d{1,3}:[0-5]\d:[0-5]\d$")
_DATE = re.compile(r"^\d{8}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _bad_values(kind: str, values: pd.Series, spec: Field) -> tuple[pd.Series, str, str]:
    """Which non-empty values do not fit the field; the notice code and severity."""
    text = values.str.strip()
    if kind == "time":
        return ~text.str.match(_TIME), "invalid_time", ERROR
    if kind == "date":
        parsed = pd.to_datetime(text.where(text.str.match(_DATE), ""), format="%Y%m%d", errors="coerce")
        return parsed.isna(), "invalid_date", ERROR
    if kind == "color":
        return ~text.str.match(_COLOR), "invalid_color", ERROR
    if kind == "url":
        return ~text.str.match(_URL), "invalid_url", ERROR
    if kind == "email":
        return ~text.str.match(_EMAIL), "invalid_email", ERROR
    if kind == "timezone":
        return ~text.isin(_timezones()), "invalid_timezone", ERROR
    if kind == "language":
        return ~text.str.match(_LANGUAGE), "invalid_language_code", ERROR
    if kind in ("integer", "nonneg_integer", "positive_integer", "enum"):
        return ~text.str.match(_INTEGER), "invalid_integer", ERROR
    if kind in ("float", "nonneg_float", "latitude", "longitude"):
        return ~text.str.match(_FLOAT), "invalid_float", ERROR
    return pd.Series(False, index=values.index), "", ERROR


def _out_of_range(kind: str, values: pd.Series, spec: Field) -> tuple[pd.Series, str, str]:
    number = pd.to_numeric(values.str.strip(), errors="coerce")
    if kind == "latitude":
        return (number < -90) | (number > 90), "number_out_of_range", ERROR
    if kind == "longitude":
        return (number < -180) | (number > 180), "number_out_of_range", ERROR
    if kind in ("nonneg_integer", "nonneg_float"):
        return number < 0, "number_out_of_range", ERROR
    if kind == "positive_integer":
        return number <= 0, "number_out_of_range", ERROR
    if kind == "enum":
        return number.notna() & ~number.isin(spec.values), "unexpected_enum_value", WARNING
    return pd.Series(False, index=values.index), "", ERROR


def _field_notices(feed: Feed) -> Iterable[Notice]:
    for name, spec in FILES.items():
        raw = feed.files.get(name)
        if raw is None or raw.table is None or not raw.columns:
            continue
        table = raw.table
        rows = np.arange(len(table)) + 2
        for column, fspec in spec.fields.items():
            if column not in table.columns:
                if fspec.required:
                    yield Notice("missing_required_column", ERROR, name, f"{name} needs a {column} column", row=1, field=column)
                continue
            values = table[column].astype(str)
            empty = values.str.strip() == ""
            if fspec.required:
                for k in np.flatnonzero(empty.to_numpy()):
                    yield Notice("missing_required_field", ERROR, name, f"{column} is required", row=int(rows[k]), field=column)
            filled = ~empty
            spaced = filled & (values != values.str.strip())
            for k in np.flatnonzero(spaced.to_numpy()):
                yield Notice(
                    "leading_or_trailing_whitespaces", WARNING, name, "the value has spaces around it", row=int(rows[k]), field=column, value=values.iloc[k]
                )
            newline = values.str.contains("\n|\r", regex=True)
            for k in np.flatnonzero(newline.to_numpy()):
                yield Notice("new_line_in_value", ERROR, name, "the value holds a line break", row=int(rows[k]), field=column)
            if not filled.any():
                continue
            bad, code, severity = _bad_values(fspec.kind, values, fspec)
            bad = bad & filled
            for k in np.flatnonzero(bad.to_numpy()):
                yield Notice(code, severity, name, f"{values.iloc[k]!r} is not a valid {fspec.kind.replace('_', ' ')}", row=int(rows[k]), field=column, value=values.iloc[k])
            wrong, code, severity = _out_of_range(fspec.kind, values, fspec)
            wrong = wrong & filled & ~bad
            for k in np.flatnonzero(wrong.to_numpy()):
                allowed = f"; allowed: {', '.join(map(str, spec.fields[column].values[:12]))}" if fspec.kind == "enum" else ""
                yield Notice(code, severity, name, f"{values.iloc[k]!r} is out of range{allowed}", row=int(rows[k]), field=column, value=values.iloc[k])


def _key_notices(feed: Feed) -> Iterable[Notice]:
    for name, spec in FILES.items():
        if not spec.key or not feed.has(name):
            continue
        table = feed.table(name)
        if not all(k in table.columns for k in spec.key):
            continue
        keys = table[list(spec.key)]
        if name == "agency.txt" and len(table) == 1:
            continue  # one agency may leave agency_id out
        present = (keys != "").all(axis=1)
        duplicated = keys.duplicated(keep="first") & present
        for k in np.flatnonzero(duplicated.to_numpy()):
            value = ", ".join(keys.iloc[k])
            yield Notice("duplicate_key", ERROR, name, f"{'/'.join(spec.key)} {value} appears more than once", row=int(k) + 2, field=spec.key[0], value=value)


def _reference_notices(feed: Feed) -> Iterable[Notice]:
    for ref in REFERENCES:
        if not feed.has(ref.file) or ref.column not in feed.table(ref.file).columns:
            continue
        targets = [(f, c) for f, c in ref.targets if feed.has(f) and c in feed.table(f).columns]
        if not targets:
            if ref.file == "trips.txt" and ref.column == "shape_id":
                targets = []
            else:
                continue
        known: set[str] = set()
        for f, c in targets:
            known.update(feed.table(f)[c])
        values = feed.table(ref.file)[ref.column]
        missing = (values != "") & ~values.isin(known)
        target_names = " or ".join(f"{f} {c}" for f, c in ref.targets)
        for k in np.flatnonzero(missing.to_numpy()):
            yield Notice(
                "foreign_key_violation",
                ERROR,
                ref.file,
                f"{ref.column} {values.iloc[k]!r} is not in {target_names}",
                row=int(k) + 2,
                field=ref.column,
                value=values.iloc[k],
            )
