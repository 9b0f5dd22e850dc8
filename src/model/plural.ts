/** A count and its noun: `1 month`, `2 months`, `0 stages`. */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
