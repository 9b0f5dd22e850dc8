/** Names longer than this are not compared: a typo is short, and the comparison is quadratic. */
const MAX_COMPARED_LENGTH = 64;

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] as number;
}

/**
 * The known name a mistyped one most likely meant (`webhook` → `webhookUrl`,
 * `logdir` → `logDir`), or undefined when none is close.
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  if (typed.length === 0 || typed.length > MAX_COMPARED_LENGTH) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const lower = name.toLowerCase();
    const typedLower = typed.toLowerCase();
    // A prefix (`webhook` of `webhookUrl`) is as good as a near miss.
    const d = lower.startsWith(typedLower) || typedLower.startsWith(lower) ? 1 : distance(typed, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(typed.length / 2)) ? best : undefined;
}
