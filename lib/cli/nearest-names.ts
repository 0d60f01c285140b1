// "Did you mean ...?": the known names closest to a mistyped one, by edit
// distance (a swap of two neighbours counts as one edit: --exlcude), or
// those it is the start of (--over for --overwrite).

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Edits a word of this length may be away from a name and still be a typo of it rather than another word. */
function tolerance(length: number): number {
  return length <= 3 ? 1 : length <= 6 ? 2 : 3;
}

/** The closest of `names` to `word` (all that tie, in `names` order); none when nothing is close. */
export function nearestNames(word: string, names: readonly string[]): string[] {
  const typed = word.toLowerCase();
  let best = Infinity;
  let found: string[] = [];
  for (const name of names) {
    const distance = name === typed ? 0 : name.startsWith(typed) && typed.length >= 2 ? 0.5 : editDistance(typed, name);
    if (distance > tolerance(typed.length)) continue;
    if (distance < best) [best, found] = [distance, [name]];
    else if (distance === best && !found.includes(name)) found.push(name);
  }
  return found;
}

/** " (did you mean restore?)", " (did you mean one of --keep-last, --keep-daily or --keep-chains?)", or ''. */
export function didYouMean(word: string, names: readonly string[], show: (name: string) => string = (n) => n): string {
  const found = nearestNames(word, names);
  if (found.length === 0) return '';
  const shown = found.map(show);
  const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
  return ` (did you mean ${shown.length > 2 ? 'one of ' : ''}${list}?)`;
}
