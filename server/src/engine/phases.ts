/**
 * DevMode's start and stop as lists of steps, run by one runner. Each step belongs to a protocol phase; the runner
 * reports every phase as it begins, checks for cancellation between steps, and on a failure or a cancellation
 * undoes the steps that completed, newest first, before the error goes back to the caller.
 */
import type { DevModePhase } from '@devmode/protocol';
import { KubeError } from '../kube/errors.js';

export interface PhaseStep {
  phase: DevModePhase;
  run(): Promise<void>;
  /** Undoes what `run` did; called only when `run` completed and a later step failed or the work was cancelled. */
  undo?(): Promise<void>;
}

export interface PhaseRunOptions {
  signal: AbortSignal;
  /** Called as each phase begins (once per phase, even when several steps share it). */
  onPhase(phase: DevModePhase): void;
  /** The error to throw when the signal fires between steps. */
  cancelled(): Error;
  /** Called as the rollback begins, with the error that caused it. */
  onRollback(error: unknown): void;
  /** Called when an undo fails; the rollback goes on with the steps before it. */
  onUndoFailed(phase: DevModePhase, error: unknown): void;
}

export async function runPhases(steps: readonly PhaseStep[], options: PhaseRunOptions): Promise<void> {
  const completed: PhaseStep[] = [];
  let phase: DevModePhase | undefined;
  try {
    for (const step of steps) {
      if (options.signal.aborted) throw options.cancelled();
      if (step.phase !== phase) options.onPhase(step.phase);
      phase = step.phase;
      await step.run();
      completed.push(step);
    }
    if (options.signal.aborted) throw options.cancelled();
  } catch (error) {
    // A step interrupted by the cancellation fails in its own words; the caller asked for a cancellation.
    const failure = options.signal.aborted ? options.cancelled() : error;
    const undos = completed.filter((step) => step.undo !== undefined).reverse();
    if (undos.length > 0) options.onRollback(failure);
    for (const step of undos) {
      try {
        await step.undo?.();
      } catch (undoError) {
        options.onUndoFailed(step.phase, undoError);
      }
    }
    throw failure;
  }
}

/**
 * Reads, then writes what was read; when the write fails with a resourceVersion conflict (HTTP 409, usually a
 * controller updating status), reads again and retries, a bounded number of times.
 */
export async function retryOnConflict<T, R>(
  read: () => Promise<T>,
  write: (current: T) => Promise<R>,
  attempts = 5,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    try {
      return await write(current);
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 409) || attempt >= attempts) throw error;
    }
  }
}
