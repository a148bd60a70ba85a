"""The one error hierarchy of the system.

Every error a user can cause derives from :class:`ITSError` and from the builtin it refines,
so callers may catch either::

    ITSError
     ├── ScenarioError (ValueError)       a scenario, .sumocfg or variant is missing or malformed
     │    └── VariantError                 an unknown variant or a change that does not fit the network
     ├── InputError (ValueError)           any other bad input: a file, an option, a time window
     ├── SimulationError (RuntimeError)    SUMO failed, crashed or hung during a run
     ├── ToolError (RuntimeError)          an external tool (netconvert, duarouter, ...) failed
     ├── PlanError (ValueError)            a signal plan is unsafe or does not match the network
     ├── GTFSError (ValueError)            a GTFS feed cannot be read or is invalid
     ├── FeedError (ValueError)            a live feed message is malformed
     ├── InfeasibleError (ValueError)      a schedule or optimisation has no solution
     └── NoPathError (LookupError)         no route between two places

Messages say what is wrong, where (file, line, field, id) and, where it helps, what to do.
The command line prints the message on one line and exits non-zero; the API maps each class
to a problem+json response in one place.
"""

from __future__ import annotations

__all__ = [
    "FeedError",
    "GTFSError",
    "ITSError",
    "InfeasibleError",
    "InputError",
    "NoPathError",
    "PlanError",
    "ScenarioError",
    "SimulationError",
    "ToolError",
    "VariantError",
]


class ITSError(Exception):
    """Base of every error the system raises on purpose."""

    #: HTTP status the API answers with for this class of error.
    status_code: int = 400


class ScenarioError(ITSError, ValueError):
    """A scenario, its ``scenario.toml`` or a ``.sumocfg`` is missing or malformed."""

    status_code = 404


class VariantError(ScenarioError):
    """An unknown what-if variant, or a change that does not fit the network."""

    status_code = 422


class InputError(ITSError, ValueError):
    """Bad input that is not a scenario: a file, an option, a time window."""

    status_code = 422


class SimulationError(ITSError, RuntimeError):
    """SUMO failed, crashed or hung during a run."""

    status_code = 500


class ToolError(ITSError, RuntimeError):
    """An external tool (netconvert, od2trips, duarouter, ...) failed."""

    status_code = 500


class PlanError(ITSError, ValueError):
    """A signal timing plan is unsafe or does not match the network."""

    status_code = 422


class GTFSError(ITSError, ValueError):
    """A GTFS feed cannot be read or is invalid."""

    status_code = 422


class FeedError(ITSError, ValueError):
    """A live feed message (detector batch, probe points, GTFS-Realtime) is malformed."""

    status_code = 422


class InfeasibleError(ITSError, ValueError):
    """A schedule or optimisation problem has no feasible solution."""

    status_code = 422


class NoPathError(ITSError, LookupError):
    """No route exists between the requested places."""

    status_code = 404
