"""Running SUMO's own programs (netconvert, od2trips, duarouter, sumo) as subprocesses."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path

import sumo

from its.errors import ToolError

__all__ = ["SUMO_HOME", "binary", "run_tool", "tool_script"]

log = logging.getLogger(__name__)

SUMO_HOME = Path(sumo.SUMO_HOME)


def binary(name: str) -> Path:
    """Path of a SUMO program shipped by the eclipse-sumo package."""
    path = SUMO_HOME / "bin" / name
    if not path.is_file():
        raise ToolError(f"SUMO program {name} not found in {path.parent}; reinstall eclipse-sumo")
    return path


def tool_script(relative: str) -> Path:
    """Path of one of SUMO's Python tools, e.g. ``tlsCycleAdaptation.py``."""
    path = SUMO_HOME / "tools" / relative
    if not path.is_file():
        raise ToolError(f"SUMO tool {relative} not found under {SUMO_HOME / 'tools'}")
    return path


def run_tool(name: str, args: Sequence[str], *, cwd: Path | None = None, timeout_s: float = 1800) -> str:
    """Run a SUMO program; on failure raise :class:`ToolError` with its error lines."""
    command = [str(binary(name)), *args]
    log.debug("running %s", " ".join(command))
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{name} did not finish within {timeout_s:g} s") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("Error")] or lines[-3:]
        raise ToolError(f"{name} failed: {' | '.join(errors) or f'exit code {done.returncode}'}")
    return done.stdout
