"""Significance of a change (DATA.md): Poisson for counts, two proportions for rates."""
from __future__ import annotations

import math
from dataclasses import dataclass

from antifraud import config


def poisson_z(now: float, before: float) -> float | None:
    """Variance-stabilised difference of two counts: z = 2(√now − √before)."""
    if now is None or before is None or now < 0 or before < 0:
        return None
    return 2.0 * (math.sqrt(now) - math.sqrt(before))


def proportion_z(x1: float, n1: float, x0: float, n0: float) -> float | None:
    """Two-proportion z of x1/n1 against x0/n0 with the pooled variance."""
    if not n1 or not n0 or x1 is None or x0 is None:
        return None
    pooled = (x1 + x0) / (n1 + n0)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    if var <= 0:
        return 0.0
    return (x1 / n1 - x0 / n0) / math.sqrt(var)


def compound_z(total_now: float, sq_now: float, total_before: float, sq_before: float) -> float | None:
    """Change of a money total, as a compound-Poisson sum (cases arrive as a Poisson
    process, each with its own loss): Var(Σx) is estimated by Σx², so
    z = (L_now − L_before) / √(Σx²_now + Σx²_before). One huge case makes the variance
    large, so a total moved by a single case is not called significant."""
    if None in (total_now, sq_now, total_before, sq_before):
        return None
    var = sq_now + sq_before
    if var <= 0:
        return 0.0 if total_now == total_before else None
    return (total_now - total_before) / math.sqrt(var)


def flag(z: float | None) -> str:
    """'rise' / 'fall' when |z| reaches the warning threshold, else ''."""
    if z is None:
        return ""
    threshold = float(config.setting("significance.warn_z", 2.0))
    if z >= threshold:
        return "rise"
    if z <= -threshold:
        return "fall"
    return ""


def level(z: float | None) -> str:
    """'' | 'warn' | 'alarm' for the UI (|z| ≥ 2 warn, ≥ 3 alarm)."""
    if z is None:
        return ""
    if abs(z) >= float(config.setting("significance.alarm_z", 3.0)):
        return "alarm"
    if abs(z) >= float(config.setting("significance.warn_z", 2.0)):
        return "warn"
    return ""


def pct_change(now: float | None, before: float | None) -> float | None:
    """Percent change (−12.0 means −12%); None where the base is zero or missing."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before * 100.0


def tone(direction: int, z: float | None) -> str:
    """Colour by direction, not sign: 'good' | 'bad' | 'neutral' (grey when not significant)."""
    f = flag(z)
    if not f or direction == 0:
        return "neutral"
    up = f == "rise"
    return "good" if (up and direction > 0) or (not up and direction < 0) else "bad"


@dataclass(frozen=True)
class Test:
    """A two-period comparison: signed z (normal quantile of the two-sided p, sign = direction) and p."""
    z: float | None
    p: float | None


def compare(metric_name: str, now, before, dispersion: float = 1.0) -> Test:
    """The catalogue metric's own test of `now` against `before` (mappings of additive measures)."""
    from antifraud import metrics
    m = metrics.get(metric_name)
    get = (lambda s, k: None if k is None else (s.get(k) if hasattr(s, "get") else s[k]))
    if m.test == "poisson":
        z = poisson_z(get(now, m.numerator) or 0, get(before, m.numerator) or 0)
    elif m.test == "compound":
        z = compound_z(get(now, m.numerator), get(now, m.variance), get(before, m.numerator),
                       get(before, m.variance))
    elif m.test == "proportion":
        z = proportion_z(get(now, m.numerator), get(now, m.denominator), get(before, m.numerator),
                         get(before, m.denominator))
    else:
        z = None
    if z is None:
        return Test(None, None)
    return Test(z, math.erfc(abs(z) / math.sqrt(2)))
