"""Opening SUMO's XML inputs, which SUMO reads gzipped (``.xml.gz``) as readily as plain."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sumolib.miscutils import openz

__all__ = ["open_xml"]


def open_xml(path: Path | str) -> BinaryIO:
    """``path`` opened for reading as bytes, gunzipped when it is gzipped (whatever its name),
    for ``ElementTree.parse``/``iterparse``. Raises ``OSError`` when it cannot be read."""
    return openz(str(path), "rb")
