import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from its.kpi import difference, summarize


def test_summary_matches_student_t_interval():
    values = [10.0, 12.0, 11.0, 13.0, 9.0]
    s = summarize(values)
    half = stats.t.ppf(0.975, 4) * np.std(values, ddof=1) / math.sqrt(5)
    assert s.mean == pytest.approx(11.0)
    assert s.ci_low == pytest.approx(11.0 - half)
    assert s.ci_high == pytest.approx(11.0 + half)
    assert s.n == 5


def test_summary_drops_unmeasured_runs():
    s = summarize([None, 4.0, float("nan"), 6.0])
    assert s.n == 2 and s.mean == 5.0


def test_difference_agrees_with_scipy_welch():
    a = [50.0, 52.0, 49.0, 51.0, 53.0]
    b = [60.0, 63.0, 58.0, 61.0, 64.0]
    d = difference(a, b)
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert d.p_value == pytest.approx(expected.pvalue)
    assert d.delta == pytest.approx(10.2)
    assert d.relative == pytest.approx(10.2 / 51.0)
    assert d.significant
    assert d.ci_low < 10.2 < d.ci_high


def test_paired_difference_agrees_with_scipy_and_sees_through_the_seeds_spread():
    # each seed's own traffic spreads the runs; the change on the same seed is steady
    a = [10.0, 20.0, 30.0, 40.0]
    b = [11.0, 21.5, 30.5, 41.0]
    assert not difference(a, b).significant
    d = difference(a, b, paired=True)
    assert d.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert d.significant and d.delta == pytest.approx(1.0) and d.ci_low > 0
    # a seed missing a side drops out of the pairs
    assert difference([*a, None], [*b, 99.0], paired=True).p_value == pytest.approx(d.p_value)


def test_overlapping_runs_are_not_significant():
    d = difference([10.0, 20.0, 15.0], [11.0, 19.0, 16.0])
    assert not d.significant and d.p_value > 0.5


def test_identical_constant_runs_are_exact():
    assert not difference([3.0, 3.0], [3.0, 3.0]).significant
    assert difference([3.0, 3.0], [4.0, 4.0]).significant


def test_single_run_has_no_test():
    d = difference([1.0], [2.0])
    assert d.p_value is None and not d.significant and d.delta == 1.0


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=20))
def test_interval_contains_mean(values):
    s = summarize(values)
    assert s.ci_low <= s.mean + 1e-6 and s.mean - 1e-6 <= s.ci_high
