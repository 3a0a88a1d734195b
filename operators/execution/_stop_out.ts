/**
 * Where a stop-out happens inside a bar: the bid at which the account's margin level
 * (equity / margin x 100) falls to the stop-out level, found by solving one linear
 * equation, because inside a bar both equity and margin are straight lines in the price.
 * Pure arithmetic; the broker decides what to do with the answer.
 *
 * With b the bid and s the bar's spread (ask = b + s), each position i (direction d, lots
 * L, entry e, entry commission owed c) contributes:
 *   equity(b) = balance + sum d x (mark - e) x C x L - c     mark = b long, b + s short
 *   margin(b) = sum open x C x L / leverage                   open = b + s long, b short
 * and the stop-out bid b* solves equity(b*) = level / 100 x margin(b*).
 */

/** One open position as the solver needs it. */
export interface MarginPosition {
  readonly dir: 1 | -1;
  readonly lots: number;
  readonly entryPrice: number;
  /** Entry commission still owed (it sits in equity until the close books it). */
  readonly entryCommission: number;
}

/** Where the stop-out level is crossed, and on which side of it the level is below. */
export interface StopOutCrossing {
  readonly bid: number;
  /** True: the level is at or below the stop-out for every bid at or below `bid`. */
  readonly falling: boolean;
}

/**
 * The bid at which the margin level reaches `levelPct`, or null when it does not move
 * with the price. When the line rises with the price (a net long book), the level is at
 * or below the stop-out for every lower bid; otherwise for every higher bid.
 */
export function stopOutBid(
  positions: readonly MarginPosition[],
  balance: number,
  spread: number,
  contractSize: number,
  leverage: number,
  levelPct: number,
): StopOutCrossing | null {
  const s = levelPct / 100;
  let constant = balance;
  let slope = 0;
  for (const p of positions) {
    const units = contractSize * p.lots;
    // equity: d x (b + [short] s - e) x units - c
    constant += p.dir * ((p.dir === -1 ? spread : 0) - p.entryPrice) * units - p.entryCommission;
    slope += p.dir * units;
    // - s x margin: (b + [long] s) x units / leverage
    constant -= s * (p.dir === 1 ? spread : 0) * units / leverage;
    slope -= s * units / leverage;
  }
  if (Math.abs(slope) < 1e-12) return null;
  return { bid: -constant / slope, falling: slope > 0 };
}
