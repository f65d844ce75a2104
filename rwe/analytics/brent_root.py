"""Brent's root finder step for step as R's `uniroot` (zeroin), so R's roots are reproduced.

R's fisher.test finds its odds-ratio estimate and CI with uniroot's loose default tolerance
(ε^¼ ≈ 1.2e-4); another root finder would land elsewhere inside that tolerance, so matching
R to 1e-6 needs the same iterates: the Forsythe-Malcolm-Moler `zeroin` algorithm.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rwe.errors import StatisticsError

EPSILON = float(np.finfo(float).eps)
UNIROOT_TOL = EPSILON**0.25  # uniroot's default `tol`
UNIROOT_MAXITER = 1000


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    tol: float = UNIROOT_TOL,
    maxiter: int = UNIROOT_MAXITER,
) -> float:
    """A root of f in [lower, upper], as `uniroot(f, c(lower, upper))$root`."""
    f_lower, f_upper = f(lower), f(upper)
    if f_lower * f_upper > 0:
        raise StatisticsError(
            "no sign change of the function on the search interval", "This is a bug; report it."
        )
    return _zeroin(f, lower, upper, f_lower, f_upper, tol, maxiter)


def _zeroin(
    f: Callable[[float], float],
    a: float,
    b: float,
    fa: float,
    fb: float,
    tol: float,
    maxiter: int,
) -> float:
    """Bisection safeguarded by linear / inverse-quadratic interpolation (Brent 1973)."""
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxiter + 1):
        previous_step = b - a
        if abs(fc) < abs(fb):  # keep b the best guess, c on the other side of the root
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPSILON * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(previous_step) >= tol_act and abs(fa) > abs(fb):
            new_step = _interpolated_step(a, b, c, fa, fb, fc, previous_step, tol_act, new_step)
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b  # R returns the last iterate (with a warning) when out of iterations


def _interpolated_step(
    a: float,
    b: float,
    c: float,
    fa: float,
    fb: float,
    fc: float,
    previous_step: float,
    tol_act: float,
    bisection: float,
) -> float:
    """Secant (two points) or inverse quadratic (three) step, if it stays well inside [b, c]."""
    cb = c - b
    if a == c:
        t1 = fb / fa
        p = cb * t1
        q = 1.0 - t1
    else:
        q = fa / fc
        t1 = fb / fc
        t2 = fb / fa
        p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
        q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
    if p > 0:
        q = -q
    else:
        p = -p
    if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(previous_step * q / 2):
        return p / q
    return bisection
