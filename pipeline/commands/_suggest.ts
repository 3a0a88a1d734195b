/**
 * "Did you mean": the known word closest to a misspelt one, by edit distance with
 * transpositions (Damerau-Levenshtein, optimal string alignment). It never suggests a word
 * that is more different than similar: the distance must stay within a third of the
 * longer word (at least 1, at most 3 edits).
 */

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` (case-insensitive), or null when none is close enough.
 * A candidate that `word` is a prefix of (`--rep` for `--report`) also counts.
 *
 * @example
 * closest("jsn", ["json", "report"]); // "json"
 */
export function closest(word: string, candidates: Iterable<string>): string | null {
  const lower = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const distance = lower.length >= 3 && other.startsWith(lower)
      ? 0.5
      : editDistance(lower, other);
    const allowed = Math.min(3, Math.max(1, Math.floor(Math.max(lower.length, other.length) / 3)));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
