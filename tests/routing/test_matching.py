"""Map matching of known tracks on the tiny network (a 3x3 grid of two-way streets)."""

from __future__ import annotations

import numpy as np
import pytest

from its.feeds.probes import ProbePoint
from routing.matching import MapMatcher


@pytest.fixture(scope="module")
def network(tiny):
    from api.services import scenario_network

    return scenario_network(tiny)


@pytest.fixture(scope="module")
def matcher(network):
    return MapMatcher(network)


def _track(network, edges, *, every_m=25.0, side_m=2.0, noise_m=0.0, speed=10.0, heading=True, seed=1):
    """Points along the given edges in order, offset to the right-hand side of travel."""
    rng = np.random.default_rng(seed)
    points, truth, t = [], [], 0.0
    for edge_id in edges:
        edge = network.edges[edge_id]
        shape = np.array(edge.shape)
        seg = np.diff(shape, axis=0)
        lengths = np.hypot(*seg.T)
        for along in np.arange(every_m / 2, lengths.sum(), every_m):
            i = int(np.searchsorted(np.cumsum(lengths), along))
            i = min(i, len(seg) - 1)
            start = along - (np.cumsum(lengths)[i] - lengths[i])
            direction = seg[i] / lengths[i]
            normal = np.array([direction[1], -direction[0]])  # right of travel
            x, y = shape[i] + direction * start + normal * side_m + rng.normal(0, noise_m, 2)
            lon, lat = network.projection.lonlat(x, y)
            bearing = float(np.degrees(np.arctan2(direction[0], direction[1])) % 360)
            points.append(ProbePoint("v", t, float(lon), float(lat), speed, bearing if heading else None))
            truth.append(edge_id)
            t += every_m / speed
    return points, truth


def test_a_straight_track_and_its_driven_distance(network, matcher):
    points, truth = _track(network, ["A1B1", "B1C1"])
    matches = matcher(points)
    assert [m.edge for m in matches] == truth
    xy = matcher.xy(points)
    straight = np.hypot(*np.diff(xy, axis=0).T)
    driven = np.array([m.driven_m for m in matches[1:]])
    assert driven == pytest.approx(straight, abs=1.0)  # along the road, across the junction too


def test_heading_tells_the_carriageways_apart(network, matcher):
    east, _ = _track(network, ["A1B1"], side_m=0.0)
    west, _ = _track(network, ["B1A1"], side_m=0.0)
    assert {m.edge for m in matcher(east)} == {"A1B1"}
    assert {m.edge for m in matcher(west)} == {"B1A1"}


def test_continuity_through_a_turn_with_noise(network, matcher):
    turn = next(
        (a, b)
        for a in ("A1B1", "B1C1", "WA1")
        for b in network.successors.get(a, ())
        if network.edges[b].to_junction != network.edges[a].from_junction and _bearing_change(network, a, b) > 60
    )
    points, truth = _track(network, list(turn), noise_m=4.0, heading=False, every_m=20.0)
    matches = matcher(points)
    accuracy = np.mean([m is not None and m.edge == t for m, t in zip(matches, truth, strict=True)])
    assert accuracy >= 0.9


def test_points_far_from_any_road_are_none(network, matcher):
    x, y = np.array(network.edges["A1B1"].shape[0]) + np.array([100.0, -100.0])  # inside a block
    lon, lat = network.projection.lonlat(x, y)
    track, _ = _track(network, ["A1B1"])
    far = ProbePoint("v", 1000.0, float(lon), float(lat))
    matches = matcher([*track, far])
    assert matches[-1] is None and all(m is not None for m in matches[:-1])


def _bearing_change(network, a, b):
    def bearing(edge_id, end):
        shape = np.array(network.edges[edge_id].shape)
        d = shape[-1] - shape[-2] if end else shape[1] - shape[0]
        return np.degrees(np.arctan2(d[0], d[1]))

    return abs((bearing(b, False) - bearing(a, True) + 180) % 360 - 180)
