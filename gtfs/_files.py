"""The GTFS wire format: a zip or a folder of CSV text files, read into string tables and
written back.

Every value stays text here (``""`` for an empty field), so the validator sees exactly what
the file holds and a table written back is the table that was read. Files that are not UTF-8
are decoded as Windows-1252 or Latin-1 and say so (GTFS requires UTF-8; many agencies'
exports are not).
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from its.errors import GTFSError

__all__ = ["RawFile", "read_files", "write_files"]

#: Encodings tried in order; Latin-1 decodes any byte, so reading never fails on encoding.
ENCODINGS = ("utf-8", "cp1252", "latin-1")


@dataclass(frozen=True)
class RawFile:
    """One file of a feed as read.

    ``table`` holds every column as text with ``""`` for empty fields (None when the CSV
    could not be parsed, with the reason in ``error``); ``encoding`` is the one that decoded
    it; ``columns`` the header as written (before stripping, to report duplicates and blanks);
    ``bad_rows`` the CSV row numbers (header = 1) whose length differs from the header's.
    """

    name: str
    table: pd.DataFrame | None
    encoding: str
    columns: tuple[str, ...]
    error: str = ""
    bom: bool = False
    bad_rows: tuple[int, ...] = ()


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_file() and child.suffix == ".txt":
                yield child.name, child.read_bytes()
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise GTFSError(f"{path}: not a zip archive; give a GTFS .zip or a folder of .txt files") from None
    with archive:
        names = [n for n in archive.namelist() if n.endswith(".txt") and not n.endswith("/")]
        # Feeds zipped with their folder keep the files one level down.
        prefixes = {n.rsplit("/", 1)[0] if "/" in n else "" for n in names}
        for name in sorted(names):
            base = name.rsplit("/", 1)[-1]
            if "/" in name and len(prefixes) > 1 and "" in prefixes:
                continue
            if base.startswith(("._", ".")):  # macOS resource forks
                continue
            yield base, archive.read(name)


def _decode(data: bytes) -> tuple[str, str, bool]:
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding, bom
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _parse(name: str, text: str, encoding: str, bom: bool) -> RawFile:
    if not text.strip():
        return RawFile(name, pd.DataFrame(), encoding, (), bom=bom)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_values=[],
                index_col=False,
                skip_blank_lines=True,
                engine="c",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
        return _parse_slowly(name, text, encoding, bom)
    header = tuple(next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]), []))
    table = table.fillna("")  # rows shorter than the header
    names = [h.strip() for h in header]
    fits = len(names) == len(table.columns) and len(set(names)) == len(names)
    table.columns = names if fits else [str(c).strip() for c in table.columns]
    return RawFile(name, table, encoding, header, bom=bom)


def _parse_slowly(name: str, text: str, encoding: str, bom: bool) -> RawFile:
    """Row by row with the csv module, to say which rows do not fit the header."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return RawFile(name, None, encoding, (), error=str(error), bom=bom)
    header = tuple(rows[0])
    width = len(header)
    kept: list[list[str]] = []
    bad: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            bad.append(number)
            row = (row + [""] * width)[:width]
        kept.append(row)
    table = pd.DataFrame(kept, columns=[h.strip() for h in header], dtype=str) if kept else pd.DataFrame(columns=[h.strip() for h in header], dtype=str)
    return RawFile(name, table, encoding, header, bom=bom, bad_rows=tuple(bad))


def read_files(path: Path) -> dict[str, RawFile]:
    """Every ``.txt`` file of a feed (zip or folder) as text tables, by file name.

    Raises
    ------
    GTFSError
        If the path does not exist or is neither a folder nor a zip archive.
    """
    if not path.exists():
        raise GTFSError(f"{path}: no such GTFS feed (give a .zip file or a folder)")
    files: dict[str, RawFile] = {}
    for name, data in _members(path):
        text, encoding, bom = _decode(data)
        files[name] = _parse(name, text, encoding, bom)
    if not files:
        raise GTFSError(f"{path}: holds no GTFS .txt files")
    return files


def _csv_text(table: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(table.columns))
    writer.writerows(table.itertuples(index=False, name=None))
    return buffer.getvalue()


def write_files(tables: Mapping[str, pd.DataFrame], target: Path, *, known: frozenset[str] = frozenset()) -> Path:
    """Write text tables as a feed: a zip when ``target`` ends in ``.zip``, else a folder.

    Values are written as they are (strings; ``""`` for empty), UTF-8 without a BOM. In a
    folder, files named in ``known`` (GTFS file names) that are not written are removed, so
    a feed written over an older one holds no stale files.
    """
    if target.suffix == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, table in tables.items():
                archive.writestr(name, _csv_text(table))
        return target
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.txt"):  # a feed written before may have had more files
        if stale.name not in tables and stale.name in known:
            stale.unlink()
    for name, table in tables.items():
        (target / name).write_text(_csv_text(table), encoding="utf-8", newline="")
    return target
