/** Delays between reconnection attempts: exponential, capped, with a little jitter so clients do not retry in step. */
export interface BackoffOptions {
  /** The first delay, in milliseconds. */
  initialMs: number;
  /** The longest delay, in milliseconds. */
  maxMs: number;
  /** How much each delay grows over the previous one. */
  factor: number;
  /** The fraction of each delay that is random, from 0 to 1. */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 50, maxMs: 2000, factor: 2, jitter: 0.2 };

/** The delay before attempt `attempt` (0 for the first retry). `random` returns a number in [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff, random = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
  const spread = base * options.jitter;
  return Math.round(base - spread + 2 * spread * random());
}

/** Resolves after `ms` milliseconds without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
