"""Profiled (RE)ML of the Gaussian linear mixed model etr fits, over per-group sums.

The model of `etr.analysis.mixed` is

    y = X beta + u_g + v_a + e,    u_g ~ N(0, tau_g^2), v_a ~ N(0, sigma_a^2), e ~ N(0, sigma^2)

with a random intercept per group ``g`` (the distinct circuit), optionally a variance component
for the levels ``a`` nested in it (architectures) and optionally a random slope of x, where x is
constant within a group (the circuit's mean expressibility), so that the slope only makes the
group's variance ``tau_g^2 = (1, x_g) Sigma (1, x_g)'`` depend on x_g. Each group's covariance
is then ``sigma^2 (I + delta sum_a J_a + gamma_g J)`` (J a block of ones, ``delta = sigma_a^2 /
sigma^2``, ``gamma_g = tau_g^2 / sigma^2``), whose inverse and determinant have closed forms
(Sherman-Morrison twice): with ``w_a = 1 / (1 + delta m_a)`` for a level of ``m_a`` rows and
``s_g = sum_a m_a w_a``,

    u' V*^-1 v = u'v - sum_a delta w_a U_a V_a - gamma_g / (1 + gamma_g s_g) (sum_a w_a U_a)
                 (sum_a w_a V_a),      log det V* = sum_a log(1 + delta m_a) + log(1 + gamma_g s_g)

where ``U_a`` is the sum of u over level a. Every quantity of the likelihood is therefore a
function of ``Z'Z`` (Z = [X, y]) and of the per-level sums of Z, computed once per data set:
one evaluation costs O(levels x p^2) numpy operations, with no loop over groups.

Why written here rather than statsmodels' MixedLM: MixedLM evaluates the likelihood and its
score with a Python loop over groups (a dense solve per group), which at the study's size
(2,000 circuits, 40,000 runs) took 90% of `etr analyze` (18 fits, 1,288 likelihood
evaluations, minutes; issue 23). Here the likelihood is vectorised, its gradient analytic, and
a fit takes tens of evaluations of milliseconds each. The criterion is the one of lme4
(Bates et al. 2015, J. Stat. Softw. 67(1), eqs. 34 and 41): the variance parameters are the
relative standard deviations ``theta`` (``theta^2 = delta``, the Cholesky factor of
``Sigma / sigma^2`` for the random slope), bounded below by 0, and ``beta`` and ``sigma^2`` are
profiled out. The tests check estimates, variance components and log-likelihoods (REML and ML)
against lme4 (reference numbers in ``tests/reference/lme4_reference.json``, the R script
beside them) and statsmodels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.linalg import cho_factor, cho_solve
from threadpoolctl import threadpool_limits

__all__ = ["Design", "Exog", "Fit", "Stats", "fit"]

_LOG2PI = float(np.log(2.0 * np.pi))
#: a variance parameter (theta, relative sd) below this is reported "at the boundary".
BOUNDARY = 1e-4


@dataclass(frozen=True, slots=True)
class Design:
    """Grouping structure shared by every response fitted on the same rows.

    Attributes
    ----------
    level : (n,) int codes of the nested level (architecture within group) of each row; equal
        to the group when the model has no nested component.
    group_of_level : (n_levels,) group code of each level, levels sorted by group.
    starts : (n_groups,) index of each group's first level (for ``np.add.reduceat``).
    m : (n_levels,) rows per level.
    x_group : (n_groups,) x of each group (random slope), or None.
    nested : whether the nested variance component is in the model.
    """

    level: np.ndarray
    group_of_level: np.ndarray
    starts: np.ndarray
    m: np.ndarray
    x_group: np.ndarray | None
    nested: bool

    @classmethod
    def build(cls, groups: np.ndarray, levels: np.ndarray | None,
              x: np.ndarray | None = None) -> Design:
        """From per-row group labels, nested-level labels (None: none) and x (random slope)."""
        g_codes, g_labels = pd.factorize(np.asarray(groups))
        g_first = np.full(len(g_labels), -1, dtype=np.int64)
        g_first[g_codes[::-1]] = np.arange(len(g_codes))[::-1]
        if levels is None:
            l_codes = g_codes
        else:
            # a level is a (group, level) pair: a variance component nested in the group
            a_codes, _ = pd.factorize(np.asarray(levels))
            l_codes, _ = pd.factorize(g_codes.astype(np.int64) * (int(a_codes.max()) + 1)
                                      + a_codes)
        n_levels = int(l_codes.max()) + 1
        g_of_l = np.empty(n_levels, dtype=np.int64)
        g_of_l[l_codes] = g_codes
        # relabel levels so that they are sorted by group (reduceat needs contiguous groups)
        order = np.lexsort((np.arange(n_levels), g_of_l))
        relabel = np.empty(n_levels, dtype=np.int64)
        relabel[order] = np.arange(n_levels)
        l_codes = relabel[l_codes]
        g_of_l = g_of_l[order]
        starts = np.flatnonzero(np.r_[True, g_of_l[1:] != g_of_l[:-1]])
        x_group = None if x is None else np.asarray(x, dtype=float)[g_first]
        return cls(level=l_codes, group_of_level=g_of_l, starts=starts,
                   m=np.bincount(l_codes, minlength=n_levels).astype(float), x_group=x_group,
                   nested=levels is not None)

    @property
    def n_groups(self) -> int:
        return len(self.starts)

    @property
    def n_params(self) -> int:
        """Number of variance parameters theta."""
        return (3 if self.x_group is not None else 1) + (1 if self.nested else 0)

    def exog(self, x: np.ndarray) -> Exog:
        """The fixed-effect design's part of the statistics: computed once per design."""
        x = np.ascontiguousarray(x, dtype=float)
        return Exog(matrix=x, xx=x.T @ x, sums=self._level_sums(x))

    def stats(self, exog: Exog, endog: np.ndarray) -> Stats:
        """Sufficient statistics of one response on this design and fixed-effect design."""
        y = np.asarray(endog, dtype=float)
        xy = exog.matrix.T @ y
        p = len(xy)
        zz = np.empty((p + 1, p + 1))
        zz[:p, :p] = exog.xx
        zz[:p, p] = zz[p, :p] = xy
        zz[p, p] = y @ y
        sums = np.column_stack([exog.sums, self._level_sums(y[:, None])])
        return Stats(zz=zz, sums=sums, n=len(y), p=p)

    def _level_sums(self, z: np.ndarray) -> np.ndarray:
        """Column sums of `z` per level (levels in code order)."""
        order = np.argsort(self.level, kind="stable")
        sorted_level = self.level[order]
        cuts = np.flatnonzero(np.r_[True, sorted_level[1:] != sorted_level[:-1]])
        out = np.zeros((len(self.m), z.shape[1]))
        out[sorted_level[cuts]] = np.add.reduceat(z[order], cuts, axis=0)
        return out


@dataclass(frozen=True, slots=True)
class Exog:
    """A fixed-effect design ``X`` with ``X'X`` and its per-level sums (shared by responses)."""

    matrix: np.ndarray
    xx: np.ndarray
    sums: np.ndarray


@dataclass(frozen=True, slots=True)
class Stats:
    """``Z'Z`` and the per-level sums of ``Z = [X, y]``; ``n`` rows, ``p`` columns of X."""

    zz: np.ndarray
    sums: np.ndarray
    n: int
    p: int


@dataclass(frozen=True, slots=True)
class Fit:
    """One (RE)ML fit.

    ``beta`` and its covariance ``cov_beta = scale (X' V*^-1 X)^-1`` (as lme4's ``vcov``),
    ``scale`` (sigma^2), ``cov_re`` (covariance of the group's random intercept, and slope,
    scaled), ``vcomp`` (nested variance, scaled; empty without), ``llf`` (log-likelihood, REML
    or ML, with lme4's constants), ``theta`` (lme4's relative sds), ``phi`` (the optimiser's
    parameters, see `_Objective`), ``converged`` (the Karush-Kuhn-Tucker conditions hold),
    ``boundary`` (a variance parameter at 0) and ``message``.
    """

    beta: np.ndarray
    cov_beta: np.ndarray
    scale: float
    cov_re: np.ndarray
    vcomp: np.ndarray
    llf: float
    theta: np.ndarray
    phi: np.ndarray
    reml: bool
    converged: bool
    boundary: bool
    n_evaluations: int
    message: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


class _Objective:
    """-2 (RE)ML log-likelihood profiled over beta and sigma^2, with its analytic gradient.

    Parameters ``phi``: without a random slope the variance ratios ``gamma`` (group) and
    ``delta`` (nested level) themselves, bounded below by 0, so that the gradient at a zero
    variance says whether it should grow (in lme4's ``theta = sqrt(gamma)`` the gradient
    vanishes at 0 and a gradient method can stop there wrongly). With a random slope, the
    Cholesky factor ``(l11, l21, l22)`` of ``Sigma / sigma^2`` and then ``delta``.
    """

    def __init__(self, design: Design, stats: Stats, reml: bool):
        self.d, self.s, self.reml = design, stats, reml
        self.n_evaluations = 0
        self.msq = design.m ** 2
        self.k_re = 3 if design.x_group is not None else 1
        self.dof = stats.n - stats.p if reml else stats.n

    @property
    def lower(self) -> np.ndarray:
        low = np.zeros(self.k_re + (1 if self.d.nested else 0))
        if self.k_re == 3:
            low[1] = -np.inf  # the off-diagonal Cholesky element is free
        return low

    def _gamma(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """gamma_g per group and d gamma_g / d phi_re (n_groups x k_re)."""
        x = self.d.x_group
        if x is None:
            return np.full(self.d.n_groups, phi[0]), np.ones((self.d.n_groups, 1))
        l11, l21, l22 = phi[:3]
        a = l11 + l21 * x
        b = l22 * x
        return a * a + b * b, np.column_stack([2 * a, 2 * a * x, 2 * b * x])

    def _state(self, phi: np.ndarray) -> _State:
        d, s = self.d, self.s
        delta = float(phi[self.k_re]) if d.nested else 0.0
        gamma, dgamma = self._gamma(phi)
        w = 1.0 / (1.0 + delta * d.m)
        sw = np.add.reduceat(d.m * w, d.starts)
        u = np.add.reduceat(s.sums * w[:, None], d.starts, axis=0)
        one_gs = 1.0 + gamma * sw
        e = gamma / one_gs
        a = s.zz - (s.sums * (delta * w)[:, None]).T @ s.sums - (u * e[:, None]).T @ u
        logdet_v = float(np.sum(np.log1p(delta * d.m)) + np.sum(np.log(one_gs)))
        return _State(delta, gamma, dgamma, w, sw, u, one_gs, e, a, logdet_v)

    def _solve(self, st: _State):
        """(cholesky of A_xx, beta, r) or None when A_xx is not positive definite."""
        p = self.s.p
        try:
            chol = cho_factor(st.a[:p, :p], lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return None
        beta = cho_solve(chol, st.a[:p, p], check_finite=False)
        r = float(st.a[p, p] - st.a[:p, p] @ beta)
        return (chol, beta, r) if r > 0 and np.isfinite(r) else None

    def value(self, phi: np.ndarray) -> float:
        """-2 log-likelihood without its constants (see `finish`); inf where undefined."""
        self.n_evaluations += 1
        st = self._state(phi)
        solved = self._solve(st)
        if solved is None:
            return np.inf
        chol, _beta, r = solved
        out = self.dof * np.log(r) + st.logdet_v
        if self.reml:
            out += 2.0 * float(np.sum(np.log(np.diag(chol[0]))))
        return float(out)

    def __call__(self, phi: np.ndarray) -> tuple[float, np.ndarray]:
        """(value, gradient) of `value` at `phi`."""
        self.n_evaluations += 1
        d, s, p, dof = self.d, self.s, self.s.p, self.dof
        st = self._state(phi)
        solved = self._solve(st)
        if solved is None:
            return np.inf, np.zeros_like(phi)
        chol, beta, r = solved
        value = dof * np.log(r) + st.logdet_v
        if self.reml:
            value += 2.0 * float(np.sum(np.log(np.diag(chol[0]))))
        v = np.r_[-beta, 1.0]
        tv = s.sums @ v
        uv = st.u @ v
        inv2 = 1.0 / st.one_gs**2
        # d / d gamma_g: dA = -(1 + gamma_g s_g)^-2 U_g U_g'
        grad_g = -dof * inv2 * uv**2 / r + st.sw / st.one_gs
        if self.reml:
            ux = st.u[:, :p]
            q_u = np.sum(cho_solve(chol, ux.T, check_finite=False).T * ux, axis=1)
            grad_g = grad_g - inv2 * q_u
        grad = np.zeros_like(phi, dtype=float)
        grad[:self.k_re] = grad_g @ st.dgamma
        if d.nested:
            grad[self.k_re] = self._d_delta(st, chol, r, tv, uv, inv2,
                                            q_u if self.reml else None)
        return float(value), grad

    def _d_delta(self, st: _State, chol, r: float, tv: np.ndarray, uv: np.ndarray,
                 inv2: np.ndarray, q_u: np.ndarray | None) -> float:
        """d value / d delta (w_a, s_g, e_g and U_g all depend on delta)."""
        d, s, p = self.d, self.s, self.s.p
        w2 = st.w * st.w
        dsw = -np.add.reduceat(self.msq * w2, d.starts)
        de = -st.gamma**2 * dsw * inv2
        du_v = -np.add.reduceat(d.m * w2 * tv, d.starts)
        dr = -np.sum(w2 * tv**2) - np.sum(de * uv**2 + 2 * st.e * du_v * uv)
        out = self.dof * dr / r + float(np.sum(d.m * st.w) + np.sum(st.gamma * dsw / st.one_gs))
        if q_u is not None:
            tx = s.sums[:, :p]
            ux = st.u[:, :p]
            q_t = np.sum(cho_solve(chol, tx.T, check_finite=False).T * tx, axis=1)
            du = -np.add.reduceat(tx * (d.m * w2)[:, None], d.starts, axis=0)
            cross = np.sum(cho_solve(chol, du.T, check_finite=False).T * ux, axis=1)
            out += -np.sum(w2 * q_t) - np.sum(de * q_u + 2 * st.e * cross)
        return float(out)

    def theta(self, phi: np.ndarray) -> np.ndarray:
        """lme4's theta: relative standard deviations (Cholesky factor with a slope)."""
        out = np.array(phi, dtype=float)
        if self.k_re == 1:
            out[0] = np.sqrt(max(phi[0], 0.0))
        if self.d.nested:
            out[self.k_re] = np.sqrt(max(phi[self.k_re], 0.0))
        return out

    def finish(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float,
                                               np.ndarray, np.ndarray]:
        """beta, cov(beta), sigma^2, -2 log-likelihood, cov_re and vcomp at `phi`."""
        st = self._state(phi)
        solved = self._solve(st)
        if solved is None:
            raise np.linalg.LinAlgError("the fixed-effect design is singular")
        chol, beta, r = solved
        p = self.s.p
        scale = r / self.dof
        m2ll = self.dof * (1.0 + _LOG2PI + np.log(scale)) + st.logdet_v
        if self.reml:
            m2ll += 2.0 * float(np.sum(np.log(np.diag(chol[0]))))
        cov_beta = scale * cho_solve(chol, np.eye(p), check_finite=False)
        if self.k_re == 1:
            cov_re = np.array([[scale * phi[0]]])
        else:
            lam = np.array([[phi[0], 0.0], [phi[1], phi[2]]])
            cov_re = scale * lam @ lam.T
        vcomp = np.array([scale * st.delta]) if self.d.nested else np.zeros(0)
        return beta, cov_beta, scale, m2ll, cov_re, vcomp


@dataclass(frozen=True, slots=True)
class _State:
    """Everything `_Objective` derives from the variance parameters before solving."""

    delta: float
    gamma: np.ndarray
    dgamma: np.ndarray
    w: np.ndarray
    sw: np.ndarray
    u: np.ndarray
    one_gs: np.ndarray
    e: np.ndarray
    a: np.ndarray
    logdet_v: float


def _start(obj: _Objective) -> np.ndarray:
    """Start values: the best of a few candidates around a moment estimate.

    The moment estimate (ANOVA on OLS residual sums: within-level mean square for sigma^2,
    spread of level means about group means for the nested variance, spread of group means
    for the group variance) is rough; the likelihood at it, at zero and at ten times each
    ratio decides where the optimiser starts, which guards against a local optimum near
    the boundary.
    """
    design, stats = obj.d, obj.s
    p = stats.p
    beta = np.linalg.lstsq(stats.zz[:p, :p], stats.zz[:p, p], rcond=None)[0]
    v = np.r_[-beta, 1.0]
    rss = float(v @ stats.zz @ v)
    lev = stats.sums @ v                       # residual sum per level
    m = design.m
    grp_sum = np.add.reduceat(lev, design.starts)
    grp_m = np.add.reduceat(m, design.starts)
    between_levels = float(np.sum(lev**2 / m))
    between_groups = float(np.sum(grp_sum**2 / grp_m))
    n, n_l, n_g = stats.n, len(m), design.n_groups
    within = (rss - between_levels) / max(n - n_l, 1) if design.nested else \
        (rss - between_groups) / max(n - n_g, 1)
    s2 = max(within, 1e-12 * max(rss / n, 1e-300))
    tau2 = max((between_groups / max(n_g - 1, 1) - s2) / float(np.mean(grp_m)), 0.0)
    gamma = tau2 / s2
    delta = 0.0
    if design.nested:
        spread = (between_levels - between_groups) / max(n_l - n_g, 1)
        delta = max((spread - s2) / float(np.mean(m)), 0.0) / s2
    if design.x_group is not None:
        base = [np.sqrt(gamma), 0.0, 0.1 * np.sqrt(gamma) + 0.01]
        cands = [base, [np.sqrt(10 * gamma) + 0.1, 0.0, 0.1]]
    else:
        cands = [[g] for g in (gamma, 0.0, 10 * gamma + 0.1)]
    if design.nested:
        cands = [[*c, dl] for c in cands for dl in (delta, 0.0, 10 * delta + 0.1)]
    cands = [np.asarray(c, dtype=float) for c in cands]
    values = [obj.value(c) for c in cands]
    return cands[int(np.argmin(values))]


def fit(design: Design, stats: Stats, *, reml: bool, start: np.ndarray | None = None) -> Fit:
    """Maximise the profiled (RE)ML likelihood (L-BFGS-B with the analytic gradient).

    The optimum is polished with Newton steps on a finite-difference Hessian of the analytic
    gradient, so that estimates agree with lme4's to its own precision rather than to the
    optimiser's tolerance. `start` is in the parameters of `_Objective` (e.g. the REML optimum
    when fitting ML).
    """
    # small dense matrices: one BLAS thread is fastest, and threads oversubscribe shared
    # machines (and the process pool's workers)
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(design, stats, reml=reml, start=start)


def _fit(design: Design, stats: Stats, *, reml: bool, start: np.ndarray | None) -> Fit:
    obj = _Objective(design, stats, reml)
    lower = obj.lower
    x0 = _start(obj) if start is None else np.maximum(np.asarray(start, dtype=float), lower)
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    res = optimize.minimize(obj, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000})
    phi = np.maximum(res.x, lower)
    if obj.k_re == 3:
        phi = _escape(obj, phi, lower, bounds)
    phi = _polish(obj, phi, lower)
    value, grad = obj(phi)
    at_bound = phi <= lower
    scale = max(1.0, abs(value))
    kkt = np.where(at_bound, grad > -1e-6 * scale, np.abs(grad) < 1e-5 * scale)
    ok = bool(np.isfinite(value)) and bool(np.all(kkt))
    beta, cov_beta, sigma2, m2ll, cov_re, vcomp = obj.finish(phi)
    theta = obj.theta(phi)
    return Fit(beta=beta, cov_beta=cov_beta, scale=sigma2, cov_re=cov_re, vcomp=vcomp,
               llf=-0.5 * m2ll, theta=theta, phi=phi, reml=reml, converged=ok,
               boundary=bool(np.any(at_bound | ((np.abs(theta) < BOUNDARY) & (lower == 0)))),
               n_evaluations=obj.n_evaluations, message=str(res.message))


def _escape(obj: _Objective, phi: np.ndarray, lower: np.ndarray, bounds) -> np.ndarray:
    """Leave a spurious stop at l11 = 0 or l22 = 0 (Cholesky parameters: zero gradient there).

    Restarts from each zero diagonal element moved to 0.1 and keeps the better optimum.
    """
    best, best_value = phi, obj.value(phi)
    for i in (0, 2):
        if phi[i] > 0:
            continue
        trial = phi.copy()
        trial[i] = 0.1
        res = optimize.minimize(obj, trial, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000})
        cand = np.maximum(res.x, lower)
        value = obj.value(cand)
        if value < best_value - 1e-9:
            best, best_value = cand, value
    return best


def _polish(obj: _Objective, phi: np.ndarray, lower: np.ndarray, steps: int = 4
            ) -> np.ndarray:
    """A few Newton steps on the free parameters (Hessian by differences of the gradient)."""
    value, grad = obj(phi)
    for _ in range(steps):
        free = (phi > lower) | (grad < 0)
        if not free.any() or not np.isfinite(value):
            break
        idx = np.flatnonzero(free)
        h = 1e-6 * np.maximum(1e-2, np.abs(phi[idx]))
        hess = np.empty((len(idx), len(idx)))
        for j, (i, hi) in enumerate(zip(idx, h, strict=True)):
            up = phi.copy()
            up[i] += hi
            hess[:, j] = (obj(up)[1][idx] - grad[idx]) / hi
        hess = 0.5 * (hess + hess.T)
        if not np.all(np.isfinite(hess)) or np.any(np.linalg.eigvalsh(hess) <= 0):
            break
        step = np.linalg.solve(hess, grad[idx])
        trial = phi.copy()
        trial[idx] = np.maximum(phi[idx] - step, lower[idx])
        t_value, t_grad = obj(trial)
        if not t_value <= value:
            break
        phi, value, grad = trial, t_value, t_grad
        if np.max(np.abs(step)) <= 1e-10 * max(1.0, float(np.max(np.abs(phi)))):
            break
    return phi
