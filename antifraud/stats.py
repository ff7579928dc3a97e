"""Significance of a change (DATA.md, Significance — revised 2026-12-03). Pure: numbers in, numbers out.

Three two-period tests, each returning a `Test(z, p)` with the two-sided p and a signed z
(the normal quantile of p, with the direction of the change) so that readers of z keep
working:

- counts: the exact conditional test. Given n = now + before, `now` ~ Binomial(n, t_now /
  (t_now + t_before)) when both periods share one rate (t = the periods' lengths). Unlike
  z = 2(√now − √before), it holds its level between two noisy counts, and small counts
  (0 → 2, 0 → 5) are never called significant.
- rates: two proportions (pooled z; Fisher's exact test when an expected cell is below 5).
- money totals: compound Poisson, z = (L₁ − r·L₀)/√(Σx₁² + r²·Σx₀²), r = t_now/t_before.

Overdispersion: real weekly counts vary more than Poisson (campaigns, holidays). Each test
takes a `dispersion` φ ≥ 1 that widens it (counts and trials divided by φ, a variance
multiplied by φ — the quasi-Poisson / quasi-binomial correction). `dispersion()` estimates φ
from the same statistic between consecutive weeks of a series' own history, where nothing
is assumed to have changed: under the model its variance is 1, so its robust mean square is
the dispersion (differences of consecutive weeks are robust to trend and season).

Multiplicity: what is announced together is decided with the false discovery rate
controlled over that family (`bh`, Benjamini–Hochberg): `flag` from q, not from p.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special, stats as sps

from antifraud import config


@dataclass(frozen=True)
class Test:
    """A two-period comparison: signed z (normal quantile of the two-sided p, sign = direction) and p."""
    z: float | None
    p: float | None


NONE = Test(None, None)


def signed_z(p: float, sign: float) -> float:
    p = min(max(p, 1e-300), 1.0)
    return math.copysign(float(special.ndtri(1.0 - p / 2.0)), sign) if sign else 0.0


class Dispersion(float):
    """φ with the number of week pairs behind its estimate (`df`). A test widened by an estimated
    φ refers its statistic to Student's t with that many degrees of freedom instead of the normal
    (quasi-likelihood practice): the estimate's own noise must not turn into false alarms."""
    df: int = 0

    def __new__(cls, value: float, df: int = 0):
        out = super().__new__(cls, value)
        out.df = int(df)
        return out


def _widened(test: Test, dispersion) -> Test:
    """The test referred to t(df) when its dispersion was estimated above 1."""
    df = getattr(dispersion, "df", 0)
    if test.p is None or test.z is None or not df or float(dispersion) <= 1.0 or test.p >= 1.0:
        return test
    p = min(1.0, float(2 * sps.t.sf(abs(float(special.ndtri(1.0 - test.p / 2.0))), df)))
    return Test(signed_z(p, test.z), p)


def _finite(*values) -> bool:
    return all(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values)


# ---------------------------------------------------------------- the three tests

def count_test(now: float, before: float, t_now: float = 1.0, t_before: float = 1.0,
               dispersion: float = 1.0) -> Test:
    """Exact conditional test of two counts (periods of length t_now and t_before).

    With a dispersion φ the counts are divided by φ first (a count of 850 with φ = 4 weighs
    like 212.5); the binomial tails are evaluated through the regularised incomplete beta
    function, which takes non-integer counts. Two-sided p: twice the smaller tail.
    """
    if not _finite(now, before) or now < 0 or before < 0 or t_now <= 0 or t_before <= 0:
        return NONE
    phi = max(1.0, float(dispersion))
    x, n = now / phi, (now + before) / phi
    share = t_now / (t_now + t_before)
    if n <= 0:
        return Test(0.0, 1.0)
    upper = float(special.betainc(x, n - x + 1, share)) if x > 0 else 1.0           # P(X ≥ x)
    lower = 1.0 - float(special.betainc(x + 1, n - x, share)) if x < n else 1.0    # P(X ≤ x)
    p = min(1.0, 2.0 * min(upper, lower))
    return _widened(Test(signed_z(p, x - n * share), p), dispersion)


def proportion_test(x1: float, n1: float, x0: float, n0: float, dispersion: float = 1.0) -> Test:
    """Two proportions x1/n1 against x0/n0; counts and trials divided by φ.

    Pooled z when every expected cell is 5 or more, else Fisher's exact test on the (rounded)
    effective counts — a small bureau's 1 of 3 against 0 of 4 is no news.
    """
    if not _finite(x1, n1, x0, n0) or n1 <= 0 or n0 <= 0:
        return NONE
    phi = max(1.0, float(dispersion))
    a, m1, b, m0 = x1 / phi, n1 / phi, x0 / phi, n0 / phi
    pooled = (a + b) / (m1 + m0)
    sign = a / m1 - b / m0
    expected = min(pooled * m1, (1 - pooled) * m1, pooled * m0, (1 - pooled) * m0)
    if expected >= 5:
        var = pooled * (1 - pooled) * (1 / m1 + 1 / m0)
        z = (a / m1 - b / m0) / math.sqrt(var)
        return _widened(Test(z, float(2 * sps.norm.sf(abs(z)))), dispersion)
    table = [[round(a), round(m1 - a)], [round(b), round(m0 - b)]]
    if min(table[0][0] + table[0][1], table[1][0] + table[1][1]) <= 0:
        return Test(0.0, 1.0)
    p = min(1.0, float(sps.fisher_exact(table).pvalue))
    return _widened(Test(signed_z(p, sign), p), dispersion)


def compound_test(total_now: float, sq_now: float, total_before: float, sq_before: float,
                  t_now: float = 1.0, t_before: float = 1.0, dispersion: float = 1.0,
                  n_now: float | None = None, n_before: float | None = None) -> Test:
    """A money total as a compound-Poisson sum (cases arrive as a Poisson process, each with its
    own loss): Var(Σx) is estimated by Σx², so one huge case makes the variance large and a total
    moved by a single case is not called significant.

    With the case counts (n_now, n_before) the mean square per case is pooled over both periods,
    Var = (n₁ + r²n₀)·(Σx₁² + Σx₀²)/(n₁ + n₀): for equal periods the same statistic, but for a
    short window against a long baseline it does not let one period's extreme loss both inflate
    its total and leave the other's variance small (measured: 2.2 times too many p ≤ 0.003 for
    three weeks against twelve without pooling, about right with it)."""
    if not _finite(total_now, sq_now, total_before, sq_before) or t_now <= 0 or t_before <= 0:
        return NONE
    r = t_now / t_before
    if n_now is not None and n_before is not None and n_now + n_before > 0:
        var = (n_now + r * r * n_before) * (sq_now + sq_before) / (n_now + n_before)
    else:
        var = sq_now + r * r * sq_before
    var *= max(1.0, float(dispersion))
    diff = total_now - r * total_before
    if var <= 0:
        return Test(0.0, 1.0) if diff == 0 else NONE
    z = diff / math.sqrt(var)
    return _widened(Test(z, float(2 * sps.norm.sf(abs(z)))), dispersion)


# ---------------------------------------------------------------- dispersion from the series' own history

def pearson_count(now: float, before: float) -> float | None:
    """(now − before)/√(now + before): variance exactly 1 under Poisson given the total."""
    n = now + before
    return None if n <= 0 else (now - before) / math.sqrt(n)


def pearson_proportion(x1, n1, x0, n0) -> float | None:
    if not n1 or not n0:
        return None
    pooled = (x1 + x0) / (n1 + n0)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    return None if var <= 0 else (x1 / n1 - x0 / n0) / math.sqrt(var)


def pearson_compound(total_now, sq_now, total_before, sq_before) -> float | None:
    var = sq_now + sq_before
    return None if not var or var <= 0 else (total_now - total_before) / math.sqrt(var)


HUBER_C = 3.0
MIN_PAIRS = 12          # fewer pairs of consecutive weeks: no estimate, φ = 1
MAX_DISPERSION = 100.0


@lru_cache(maxsize=1)
def _huber_norm() -> float:
    """E[min(Z², c²)] for a standard normal Z: what the clipped mean square is when φ = 1."""
    c = HUBER_C
    inside = (2 * sps.norm.cdf(c) - 1) - 2 * c * sps.norm.pdf(c)
    return float(inside + c * c * 2 * sps.norm.sf(c))


def dispersion(pair_z) -> float:
    """φ ≥ 1 from the statistic between consecutive weeks of a series' own history.

    Under the test's model each value has variance 1; φ is their robust mean square: squares
    clipped at (3σ)² and rescaled (a Huber estimate of scale), so a real jump or a holiday
    among 52 weeks does not inflate it. Fewer than MIN_PAIRS usable pairs, or an estimate within
    two of its standard errors of 1 (φ̂ ≤ 1 + 2√(2/n)): 1 — no evidence of variation beyond the
    model's, and the plain test keeps its power. The result carries the number of pairs
    (Dispersion.df) for the tests it widens.
    """
    z = np.asarray([v for v in pair_z if v is not None and math.isfinite(v)], dtype=float)
    if len(z) < MIN_PAIRS:
        return Dispersion(1.0)
    sq = z * z
    phi = max(float(np.median(sq)) / 0.4549, 1e-6)
    for _ in range(50):
        new = float(np.minimum(sq, HUBER_C ** 2 * phi).mean()) / _huber_norm()
        if abs(new - phi) < 1e-6 * max(phi, 1.0):
            phi = new
            break
        phi = new
    if phi <= 1.0 + 2.0 * math.sqrt(2.0 / len(z)):
        # within the estimate's own sampling error of 1 (a mean square of n values has relative
        # error √(2/n)): no evidence of variation beyond Poisson, the plain test keeps its power
        return Dispersion(1.0)
    return Dispersion(min(phi, MAX_DISPERSION), len(z))


# ---------------------------------------------------------------- a catalogue metric's own test

def _get(measures, key):
    if key is None:
        return None
    try:
        v = measures.get(key) if hasattr(measures, "get") else measures[key]
    except (KeyError, IndexError):
        return None
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def compare(metric_name: str, now, before, dispersion: float = 1.0, t_now: float = 1.0,
            t_before: float = 1.0) -> Test:
    """The catalogue metric's test (metrics.Metric.test) of `now` against `before` — mappings of
    additive measures over periods of length t_now and t_before (a week against the eight
    before it: t_now = 1, t_before = 8)."""
    from antifraud import metrics
    m = metrics.get(metric_name)
    num = lambda s: _get(s, m.numerator)          # noqa: E731
    if m.test == "poisson":
        return count_test(num(now) or 0.0, num(before) or 0.0, t_now, t_before, dispersion)
    if m.test == "compound":
        return compound_test(num(now), _get(now, m.variance), num(before), _get(before, m.variance),
                             t_now, t_before, dispersion, _get(now, m.events), _get(before, m.events))
    if m.test == "proportion":
        return proportion_test(num(now), _get(now, m.denominator), num(before), _get(before, m.denominator),
                               dispersion)
    return NONE


def pearson(metric_name: str, now, before) -> float | None:
    """The metric's standardised difference of two equal periods under its model (variance 1):
    what `dispersion` reads between consecutive weeks."""
    from antifraud import metrics
    m = metrics.get(metric_name)
    num = lambda s: _get(s, m.numerator)          # noqa: E731
    if m.test == "poisson":
        return pearson_count(num(now) or 0.0, num(before) or 0.0)
    if m.test == "compound":
        values = (num(now), _get(now, m.variance), num(before), _get(before, m.variance))
        return pearson_compound(*values) if _finite(*values) else None
    if m.test == "proportion":
        values = (num(now), _get(now, m.denominator), num(before), _get(before, m.denominator))
        return pearson_proportion(*values) if _finite(*values) else None
    return None


def metric_dispersion(metric_name: str, weeks) -> float:
    """φ of a metric from its consecutive weekly measures (oldest first; None marks a week the
    data does not cover, which breaks the chain)."""
    pairs = [pearson(metric_name, b, a) for a, b in zip(weeks, weeks[1:]) if a is not None and b is not None]
    return dispersion(pairs)


# ---------------------------------------------------------------- multiplicity

def bh(pvalues) -> list[float | None]:
    """Benjamini–Hochberg q-values of a family (None stays None and is not counted)."""
    values = list(pvalues)
    idx = [i for i, p in enumerate(values) if p is not None and math.isfinite(p)]
    out: list[float | None] = [None] * len(values)
    m = len(idx)
    if not m:
        return out
    order = sorted(idx, key=lambda i: values[i])
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, values[i] * m / rank)
        out[i] = min(1.0, running)
    return out


def q_level() -> float:
    """The false discovery rate of what is announced together ([significance] q, default 0.05)."""
    return float(config.setting("significance.q", 0.05))


def flag(q: float | None, z: float | None) -> str:
    """'rise' / 'fall' when the change is announced (q ≤ the FDR level), else ''."""
    if q is None or z is None or q > q_level() or z == 0:
        return ""
    return "rise" if z > 0 else "fall"


def level(q: float | None) -> str:
    """'' | 'warn' | 'alarm' for the UI: announced, and beyond doubt (q ≤ [significance] alarm_q)."""
    if q is None or q > q_level():
        return ""
    return "alarm" if q <= float(config.setting("significance.alarm_q", 0.001)) else "warn"


def tone(direction: int, flag_value: str) -> str:
    """Colour by direction, not sign: 'good' | 'bad' | 'neutral' (grey when not announced)."""
    if not flag_value or direction == 0:
        return "neutral"
    up = flag_value == "rise"
    return "good" if (up and direction > 0) or (not up and direction < 0) else "bad"


def pct_change(now: float | None, before: float | None) -> float | None:
    """Percent change (−12.0 means −12%); None where the base is zero or missing."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before * 100.0


def rule_text() -> str:
    """The one-line rule the wall and the pages state (「按错误发现率5%控制…」)."""
    return f"按错误发现率{q_level() * 100:g}%控制，不显著的变化不列出"
