"""Fetching GTFS-Realtime messages over HTTP: the one network call of the gtfs package.

Every function takes an ``httpx.Client``, so tests hand in one built on
``httpx.MockTransport`` and nothing reaches the network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from its.errors import FeedError

__all__ = ["fetch", "poll"]

log = logging.getLogger(__name__)


def fetch(client: httpx.Client, url: str, *, timeout_s: float = 20.0) -> bytes:
    """GET ``url`` and return the body.

    Raises
    ------
    FeedError
        On a connection failure, a timeout or a non-2xx answer, naming the URL.
    """
    try:
        response = client.get(url, timeout=timeout_s, headers={"Accept": "application/x-protobuf"})
    except httpx.HTTPError as error:
        raise FeedError(f"cannot fetch {url}: {type(error).__name__}: {error}") from None
    if not response.is_success:
        raise FeedError(f"cannot fetch {url}: HTTP {response.status_code} {response.reason_phrase}")
    return response.content


def poll(
    client: httpx.Client,
    url: str,
    on_message: Callable[[bytes], object],
    *,
    interval_s: float = 30.0,
    stop: threading.Event | None = None,
    rounds: int | None = None,
    on_error: Callable[[FeedError], object] | None = None,
) -> int:
    """Fetch ``url`` every ``interval_s`` seconds and hand each body to ``on_message``.

    Runs until ``stop`` is set or ``rounds`` fetches were made; a failed fetch is reported
    to ``on_error`` (or logged) and polling goes on. Returns the number of messages handled.
    """
    stop = stop or threading.Event()
    handled = done = 0
    while not stop.is_set() and (rounds is None or done < rounds):
        done += 1
        try:
            on_message(fetch(client, url))
            handled += 1
        except FeedError as error:
            if on_error is not None:
                on_error(error)
            else:
                log.warning("%s", error)
        if rounds is not None and done >= rounds:
            break
        stop.wait(interval_s)
    return handled
