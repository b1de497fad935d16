/** A tiny argv parser: `--flag value`, `--flag=value`, `-n value`, booleans, and everything after `--`. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

export class UsageError extends Error {}

export function parseArgs(
  argv: string[],
  spec: { values: string[]; booleans: string[]; aliases?: Record<string, string> },
): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], flags: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      parsed.rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      parsed.positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    const name = spec.aliases?.[rawName] ?? rawName;
    if (spec.booleans.includes(name)) {
      parsed.flags.set(name, true);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      parsed.flags.set(name, value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return parsed;
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}
