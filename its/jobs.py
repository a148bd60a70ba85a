"""The job-runner seam: independent jobs (simulation runs, optimiser candidates) in parallel.

Every parallel workload goes through :class:`JobRunner`, which stands on a
``concurrent.futures`` executor: local threads or processes by default, or a Dask cluster
(``ITS_JOBS_BACKEND=dask``, ``ITS_DASK_SCHEDULER=tcp://host:8786``) whose client offers the
same executor interface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import (
    FIRST_EXCEPTION,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from multiprocessing import get_context
from typing import Any, TypeVar

from its.errors import InputError
from its.settings import Settings

__all__ = ["JobRunner"]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class JobRunner:
    """Run independent jobs in parallel and return their results in input order.

    Parameters
    ----------
    executor
        Any ``concurrent.futures.Executor``.
    workers
        How many jobs the executor runs at once (for progress displays and batching).
    """

    def __init__(
        self,
        executor: Executor,
        *,
        workers: int,
        in_process: bool = False,
        on_close: Callable[[], None] | None = None,
    ):
        self._executor = executor
        self.workers = workers
        #: Whether jobs run in this process (threads), so callbacks and closures reach them.
        self.in_process = in_process
        self._on_close = on_close

    @classmethod
    def local(cls, workers: int = 1, *, processes: bool = False) -> JobRunner:
        """A runner on this machine: a thread pool, or a pool of spawned processes."""
        if processes:
            executor: Executor = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
            return cls(executor, workers=workers)
        return cls(ThreadPoolExecutor(workers, thread_name_prefix="its-job"), workers=workers, in_process=True)

    @classmethod
    def from_settings(cls, settings: Settings, *, workers: int | None = None) -> JobRunner:
        """The runner the settings ask for (``jobs_backend``, ``jobs_workers``, ``dask_scheduler``)."""
        n = workers or settings.jobs_workers
        if settings.jobs_backend == "dask":
            if not settings.dask_scheduler:
                raise InputError("ITS_JOBS_BACKEND=dask needs ITS_DASK_SCHEDULER=tcp://host:port")
            try:
                from distributed import Client
            except ImportError:
                raise InputError(
                    "the Dask backend needs the 'cluster' extra: pip install 'its-county[cluster]'"
                ) from None
            client = Client(settings.dask_scheduler)
            n = workers or sum(client.nthreads().values()) or 1
            return cls(client.get_executor(), workers=n, on_close=client.close)
        return cls.local(n, processes=settings.jobs_backend == "process")

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        on_done: Callable[[int, R], Any] | None = None,
    ) -> list[R]:
        """Apply ``fn`` to every item in parallel; results come back in input order.

        The first failing job cancels those not yet started and its exception is raised.
        ``on_done(index, result)`` is called in the caller's thread as each job finishes.
        """
        jobs: Sequence[T] = list(items)
        futures: dict[Future[R], int] = {self._executor.submit(fn, item): i for i, item in enumerate(jobs)}
        results: list[Any] = [None] * len(jobs)
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    index = futures[future]
                    results[index] = future.result()  # raises the job's own exception
                    if on_done is not None:
                        on_done(index, results[index])
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        return results

    def close(self) -> None:
        """Shut the executor down (waiting for running jobs)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
