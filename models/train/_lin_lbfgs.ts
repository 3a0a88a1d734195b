/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex
 * objectives such as L2-regularised multinomial logistic regression. It must never use
 * randomness: the same inputs give the same iterates, bit for bit.
 *
 * Reference: Nocedal & Wright, Numerical Optimization (2nd ed.), algorithm 7.4 (two-loop
 * recursion) and 3.1 (backtracking), with the initial Hessian scaling of eq. 7.20.
 */

/** Fills `grad` with the gradient at `x` and returns the objective's value there. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  readonly maxIter: number;
  /** Stop when the largest absolute gradient component is at most this. */
  readonly tolerance: number;
  /** Correction pairs kept. */
  readonly memory: number;
}

export interface LbfgsResult {
  readonly value: number;
  readonly iterations: number;
  /** False when `maxIter` ran out or the line search could not decrease the objective. */
  readonly converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_HALVINGS = 40;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Minimises `objective` starting from `x`, which is updated in place to the minimiser. */
export function minimizeLbfgs(
  objective: Objective,
  x: Float64Array,
  options: LbfgsOptions,
): LbfgsResult {
  const n = x.length;
  const g = new Float64Array(n);
  const d = new Float64Array(n);
  const xNext = new Float64Array(n);
  const gNext = new Float64Array(n);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(options.memory);
  let f = objective(x, g);
  for (let iter = 0; iter < options.maxIter; iter++) {
    if (maxAbs(g) <= options.tolerance) return { value: f, iterations: iter, converged: true };
    // Two-loop recursion: d = -H g, H the inverse-Hessian estimate from the kept pairs.
    d.set(g);
    for (let m = s.length - 1; m >= 0; m--) {
      alpha[m] = rho[m] * dot(s[m], d);
      for (let i = 0; i < n; i++) d[i] -= alpha[m] * y[m][i];
    }
    const last = s.length - 1;
    const gamma = last >= 0 ? 1 / (rho[last] * dot(y[last], y[last])) : 1;
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let m = 0; m < s.length; m++) {
      const beta = rho[m] * dot(y[m], d);
      for (let i = 0; i < n; i++) d[i] += s[m][i] * (alpha[m] - beta);
    }
    for (let i = 0; i < n; i++) d[i] = -d[i];
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (a stale curvature pair): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = -dot(g, g);
    }
    let step = 1;
    let fNext = NaN;
    for (let h = 0; h < MAX_HALVINGS; h++, step /= 2) {
      for (let i = 0; i < n; i++) xNext[i] = x[i] + step * d[i];
      fNext = objective(xNext, gNext);
      if (fNext <= f + ARMIJO * step * slope) break;
    }
    if (!(fNext <= f + ARMIJO * step * slope)) {
      return { value: f, iterations: iter, converged: false };
    }
    const sNew = new Float64Array(n);
    const yNew = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sNew[i] = xNext[i] - x[i];
      yNew[i] = gNext[i] - g[i];
    }
    const sy = dot(sNew, yNew);
    if (sy > 1e-12 * dot(yNew, yNew)) {
      s.push(sNew);
      y.push(yNew);
      rho.push(1 / sy);
      if (s.length > options.memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
    }
    x.set(xNext);
    g.set(gNext);
    f = fNext;
  }
  return { value: f, iterations: options.maxIter, converged: maxAbs(g) <= options.tolerance };
}
