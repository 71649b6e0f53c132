"""When a term's count on a day is a burst: a one-sided Poisson test against its own recent past.

A term's expected count on day D is its share of the items of the previous ``BASELINE_DAYS`` days
(one item added, so that a term never seen has a small expected count rather than none) times
the number of items on day D: a busy day raises every term's expectation, a quiet one lowers it.
The count is a burst when the chance of at least that many under a Poisson law with that mean is
below ``ALPHA`` divided by the number of terms tested that day (Bonferroni: a day tests hundreds
of terms, and one of them would otherwise pass by chance most days), and at least ``MIN_ITEMS``
items carry it. No fixed count is a threshold: a term always common needs many more items to burst
than one that was rare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BASELINE_DAYS = 28
ALPHA = 0.01
MIN_ITEMS = 5


def poisson_tail(count: int, mean: float) -> float:
    """P(X ≥ count) for X ~ Poisson(mean); exact enough for the test (terms summed until negligible)."""
    if count <= 0:
        return 1.0
    if count <= mean:
        return 1.0 if count <= math.floor(mean) else 0.5  # never a burst: at or under what is expected
    log_term = count * math.log(mean) - mean - math.lgamma(count + 1)
    total, k = 0.0, count
    while True:
        term = math.exp(log_term)
        total += term
        k += 1
        log_term += math.log(mean) - math.log(k)
        if term < total * 1e-12 or k > count + 10_000:
            return min(1.0, total)


@dataclass(frozen=True, slots=True)
class Burst:
    count: int
    expected: float
    p_value: float
    is_burst: bool


def judge(*, count: int, day_items: int, baseline_count: int, baseline_items: int, tested: int) -> Burst:
    """Whether ``count`` items carrying the term on a day of ``day_items`` is a burst after its baseline."""
    share = (baseline_count + 1) / (baseline_items + 1)
    expected = share * max(day_items, 1)
    p_value = poisson_tail(count, expected)
    return Burst(count, expected, p_value, count >= MIN_ITEMS and p_value < ALPHA / max(tested, 1))
