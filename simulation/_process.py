"""A SUMO worker in its own interpreter (``python -m MODULE``), talked to over pipes.

The payload goes pickled on the worker's stdin; the worker answers with length-prefixed
pickled messages on its stdout (see :mod:`simulation._worker`), read by a thread into a queue
so the caller can watch for crashes (the output ends), hangs and time limits while it waits.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from typing import IO, Any

from simulation._worker import read_message, write_message

__all__ = ["WorkerProcess"]

#: What :meth:`WorkerProcess.receive` returns when no message came within the timeout.
NOTHING = object()


class WorkerProcess:
    """One worker process; use as a context manager, which stops it on the way out.

    A worker that answered is given a few seconds to exit by itself (``answered()``); one
    that crashed, hung or is no longer wanted is terminated, then killed. With
    ``keep_open`` its stdin stays open after the payload for :meth:`send`.
    """

    def __init__(self, module: str, payload: Any, *, keep_open: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._messages: queue.Queue[Any] = queue.Queue()
        self._answered = False
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()
        self._lock = threading.Lock()
        try:
            pickle.dump(payload, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            if not keep_open:
                self.process.stdin.close()
        except BrokenPipeError:
            pass  # the worker died at once; the caller sees its output end

    def send(self, message: Any) -> bool:
        """Send one message to a worker started with ``keep_open``; False if it is gone."""
        assert self.process.stdin is not None
        with self._lock:
            try:
                write_message(self.process.stdin, message)  # type: ignore[arg-type]
            except (BrokenPipeError, ValueError, OSError):
                return False
        return True

    def _pump(self, stream: IO[bytes]) -> None:
        try:
            while True:
                self._messages.put(read_message(stream))  # type: ignore[arg-type]
        except (EOFError, OSError, pickle.UnpicklingError):
            self._messages.put(None)

    def receive(self, timeout_s: float) -> Any:
        """The next message; ``None`` when the worker's output ended (it exited or crashed),
        :data:`NOTHING` when none came within ``timeout_s``."""
        try:
            return self._messages.get(timeout=timeout_s)
        except queue.Empty:
            return NOTHING

    def exit_code(self, wait_s: float = 10.0) -> int | None:
        """The worker's exit code, waiting up to ``wait_s`` for it to exit."""
        try:
            return self.process.wait(wait_s)
        except subprocess.TimeoutExpired:
            return None

    def answered(self) -> None:
        """The worker gave its final answer: let it exit by itself."""
        self._answered = True

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        process = self.process
        assert process.stdin is not None
        with self._lock, contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(5 if self._answered else 0.1)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        assert process.stdout is not None
        process.stdout.close()
