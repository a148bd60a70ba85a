"""Geometry and projections: SUMO network coordinates ⇄ WGS84 longitude/latitude."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pyproj import CRS, Transformer

__all__ = ["Projection"]


@dataclass(frozen=True)
class Projection:
    """The mapping of a SUMO network: ``net_xy = projected_xy + offset``.

    ``proj`` is the PROJ string of the network's ``<location projParameter>``; ``"!"`` (SUMO's
    "no projection") makes lon/lat conversions an error.
    """

    proj: str
    offset_x: float = 0.0
    offset_y: float = 0.0

    @property
    def geographic(self) -> bool:
        """Whether the network has a geo-reference."""
        return self.proj not in ("", "!")

    @cached_property
    def _to_lonlat(self) -> Transformer:
        return Transformer.from_crs(CRS.from_user_input(self.proj), CRS.from_epsg(4326), always_xy=True)

    @cached_property
    def _to_xy(self) -> Transformer:
        return Transformer.from_crs(CRS.from_epsg(4326), CRS.from_user_input(self.proj), always_xy=True)

    def lonlat(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Network coordinates (metres) to longitude and latitude (degrees)."""
        if not self.geographic:
            raise ValueError("the network has no geo-reference (projParameter '!')")
        lon, lat = self._to_lonlat.transform(np.asarray(x) - self.offset_x, np.asarray(y) - self.offset_y)
        return np.asarray(lon), np.asarray(lat)

    def xy(self, lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude (degrees) to network coordinates (metres)."""
        if not self.geographic:
            raise ValueError("the network has no geo-reference (projParameter '!')")
        x, y = self._to_xy.transform(np.asarray(lon), np.asarray(lat))
        return np.asarray(x) + self.offset_x, np.asarray(y) + self.offset_y
