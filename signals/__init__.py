"""Signal timing: plans read from and written to SUMO, Webster sizing, coordination offsets,
adaptive controllers, simulation-in-the-loop search, the plan safety checker, timing sheets
and time-space diagrams.
"""

from __future__ import annotations

__all__: list[str] = []
