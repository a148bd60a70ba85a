"""KPI arithmetic: summaries over seeds, confidence intervals and significance of a change.

Pure functions on plain numbers; the simulation package computes per-run KPIs from SUMO's
outputs and hands lists of them here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Difference", "Summary", "difference", "percentile", "summarize"]


@dataclass(frozen=True)
class Summary:
    """A KPI over several runs: mean and a Student-t confidence interval of the mean."""

    mean: float
    std: float
    n: int
    ci_low: float
    ci_high: float

    @property
    def half_width(self) -> float:
        """Half the width of the confidence interval (same unit as the KPI)."""
        return (self.ci_high - self.ci_low) / 2


@dataclass(frozen=True)
class Difference:
    """Change of a KPI from a baseline to a variant.

    ``delta`` is variant minus baseline, ``relative`` is that over the baseline mean (None
    when the baseline is zero); ``p_value`` is Welch's two-sided t-test, or the paired one
    (None with fewer than two runs on either side), and ``significant`` says whether it is
    below ``alpha``.
    """

    delta: float
    ci_low: float
    ci_high: float
    relative: float | None
    p_value: float | None
    significant: bool


def summarize(values: Sequence[float], *, confidence: float = 0.95) -> Summary:
    """Mean and confidence interval of ``values`` (NaNs, i.e. unmeasured runs, are dropped)."""
    data = np.asarray([v for v in values if v is not None], dtype=float)
    data = data[np.isfinite(data)]
    n = int(data.size)
    if n == 0:
        nan = float("nan")
        return Summary(nan, nan, 0, nan, nan)
    mean = float(data.mean())
    if n == 1:
        return Summary(mean, 0.0, 1, mean, mean)
    from scipy import stats  # imported here: a second of start-up a run's worker does not need

    std = float(data.std(ddof=1))
    half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * std / math.sqrt(n)
    return Summary(mean, std, n, mean - half, mean + half)


def difference(
    baseline: Sequence[float],
    variant: Sequence[float],
    *,
    confidence: float = 0.95,
    paired: bool = False,
) -> Difference:
    """Comparison of a variant's runs against the baseline's runs: Welch's test, or with
    ``paired`` (the i-th run of each side has the same seed, common random numbers) a
    paired t-test on the per-seed differences, which the spread between seeds does not
    blur (pairs missing a side are dropped)."""
    if paired:
        kept = [
            (float(x), float(y))
            for x, y in zip(baseline, variant, strict=True)
            if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
        ]
        a = np.asarray([x for x, _ in kept], dtype=float)
        b = np.asarray([y for _, y in kept], dtype=float)
    else:
        a = np.asarray([v for v in baseline if v is not None], dtype=float)
        b = np.asarray([v for v in variant if v is not None], dtype=float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        nan = float("nan")
        return Difference(nan, nan, nan, None, None, False)
    delta = float(b.mean() - a.mean())
    relative = delta / abs(float(a.mean())) if a.mean() != 0 else None
    if a.size < 2 or b.size < 2:
        return Difference(delta, delta, delta, relative, None, False)
    if paired:
        se = float((b - a).std(ddof=1)) / math.sqrt(a.size)
        dof = float(a.size - 1)
    else:
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        se = math.sqrt(va + vb)
        # Welch–Satterthwaite degrees of freedom.
        dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se else 1.0
    from scipy import stats

    alpha = 1 - confidence
    if se == 0:
        # Identical runs (or differences) on both sides: the change is exact, significant iff non-zero.
        p = 1.0 if delta == 0 else 0.0
        return Difference(delta, delta, delta, relative, p, p < alpha)
    t_crit = float(stats.t.ppf(1 - alpha / 2, dof))
    p = float(2 * stats.t.sf(abs(delta) / se, dof))
    return Difference(delta, delta - t_crit * se, delta + t_crit * se, relative, p, p < alpha)


def percentile(values: np.ndarray, q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values``, NaN when there are none."""
    if values.size == 0:
        return float("nan")
    return float(np.percentile(values, q))
