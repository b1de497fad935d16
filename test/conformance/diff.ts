/** A line diff of two answers, printed when a scenario's answers differ. */

/** The value with its object keys sorted: answers are compared regardless of member order, and shown so. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => [key, sorted(member)]),
  );
}

function lines(value: unknown): string[] {
  return (JSON.stringify(sorted(value), null, 2) ?? 'undefined').split('\n');
}

/**
 * The lines of `expected` (the real API server's answers) and `actual` (the sandbox's) with `-` for lines only
 * the real server gave and `+` for lines only the sandbox gave, and up to `context` unchanged lines around each.
 */
export function lineDiff(expected: unknown, actual: unknown, context = 3): string {
  const a = lines(expected);
  const b = lines(actual);
  // Longest common subsequence table, filled from the end.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: { mark: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ mark: ' ', text: a[i]! });
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push({ mark: '+', text: b[j]! });
      j++;
    } else {
      out.push({ mark: '-', text: a[i]! });
      i++;
    }
  }
  const shown = out.map((line, index) =>
    out.slice(Math.max(0, index - context), index + context + 1).some((near) => near.mark !== ' '),
  );
  const result: string[] = ['--- real API server', '+++ sandbox'];
  out.forEach((line, index) => {
    if (shown[index]) result.push(`${line.mark} ${line.text}`);
    else if (index > 0 && shown[index - 1]) result.push('  ...');
  });
  return result.join('\n');
}
