// Counts as people write them: "1 file", "2 files", "1 directory".

const IRREGULAR: Record<string, string> = {
  directory: 'directories',
  entry: 'entries',
};

/** The plural of `noun`: irregular ones from the table, else with an s. */
function pluralOf(noun: string): string {
  const words = noun.split(' ');
  const last = words.pop()!;
  return [...words, IRREGULAR[last] ?? `${last}s`].join(' ');
}

/** "1 file", "0 files", "3 hard links"; `plural` when the table does not know the word. */
export function counted(count: number, noun: string, plural: string = pluralOf(noun)): string {
  return `${count} ${count === 1 ? noun : plural}`;
}

