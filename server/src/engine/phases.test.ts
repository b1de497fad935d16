import type { DevModePhase } from '@devmode/protocol';
import { describe, expect, it } from 'vitest';
import { KubeError } from '../kube/errors.js';
import { retryOnConflict, runPhases, type PhaseStep } from './phases.js';

function recorder(): { log: string[]; step: (phase: DevModePhase, name: string, fail?: boolean) => PhaseStep } {
  const log: string[] = [];
  return {
    log,
    step: (phase, name, fail = false) => ({
      phase,
      run: () => {
        log.push(`run ${name}`);
        return fail ? Promise.reject(new Error(`${name} failed`)) : Promise.resolve();
      },
      undo: () => {
        log.push(`undo ${name}`);
        return Promise.resolve();
      },
    }),
  };
}

function options(controller = new AbortController(), phases: DevModePhase[] = []) {
  return {
    signal: controller.signal,
    onPhase: (phase: DevModePhase) => phases.push(phase),
    cancelled: () => new Error('cancelled'),
    onRollback: () => undefined,
    onUndoFailed: () => undefined,
  };
}

describe('runPhases', () => {
  it('reports each phase once, in order, and runs every step', async () => {
    const { log, step } = recorder();
    const phases: DevModePhase[] = [];
    await runPhases(
      [step('loadConfig', 'a'), step('replaceImage', 'b'), step('replaceImage', 'c'), step('waitPod', 'd')],
      options(undefined, phases),
    );
    expect(phases).toEqual(['loadConfig', 'replaceImage', 'waitPod']);
    expect(log).toEqual(['run a', 'run b', 'run c', 'run d']);
  });

  it('undoes the completed steps, newest first, when a step fails, and rethrows its error', async () => {
    const { log, step } = recorder();
    const run = runPhases(
      [step('loadConfig', 'a'), step('replaceImage', 'b'), step('restartPod', 'c', true), step('waitPod', 'd')],
      options(),
    );
    await expect(run).rejects.toThrow('c failed');
    expect(log).toEqual(['run a', 'run b', 'run c', 'undo b', 'undo a']);
  });

  it('stops at the next step when cancelled, undoes what ran, and throws the cancellation', async () => {
    const { log, step } = recorder();
    const controller = new AbortController();
    const cancelling: PhaseStep = {
      phase: 'restartPod',
      run: () => {
        log.push('run cancelling');
        controller.abort();
        return Promise.resolve();
      },
      undo: () => {
        log.push('undo cancelling');
        return Promise.resolve();
      },
    };
    await expect(
      runPhases([step('loadConfig', 'a'), cancelling, step('waitPod', 'd')], options(controller)),
    ).rejects.toThrow('cancelled');
    expect(log).toEqual(['run a', 'run cancelling', 'undo cancelling', 'undo a']);
  });

  it('goes on undoing when an undo fails, and reports that failure', async () => {
    const { log, step } = recorder();
    const failed: string[] = [];
    const broken: PhaseStep = {
      phase: 'replaceImage',
      run: () => Promise.resolve(),
      undo: () => Promise.reject(new Error('restore failed')),
    };
    const run = runPhases([step('loadConfig', 'a'), broken, step('waitPod', 'd', true)], {
      ...options(),
      onUndoFailed: (phase, error) => failed.push(`${phase}: ${(error as Error).message}`),
    });
    await expect(run).rejects.toThrow('d failed');
    expect(failed).toEqual(['replaceImage: restore failed']);
    expect(log).toEqual(['run a', 'run d', 'undo a']);
  });
});

describe('retryOnConflict', () => {
  it('reads again and retries after a 409, and gives up after the bound', async () => {
    let reads = 0;
    const conflict = new KubeError(409, 'Conflict', 'the object has been modified');
    const result = await retryOnConflict(
      () => Promise.resolve(++reads),
      (read) => (read < 3 ? Promise.reject(conflict) : Promise.resolve(`wrote after read ${read}`)),
    );
    expect(result).toBe('wrote after read 3');
    await expect(
      retryOnConflict(
        () => Promise.resolve(0),
        () => Promise.reject(conflict),
        2,
      ),
    ).rejects.toBe(conflict);
  });

  it('does not retry other errors', async () => {
    let writes = 0;
    const forbidden = new KubeError(403, 'Forbidden', 'no');
    await expect(
      retryOnConflict(
        () => Promise.resolve(0),
        () => {
          writes++;
          return Promise.reject(forbidden);
        },
      ),
    ).rejects.toBe(forbidden);
    expect(writes).toBe(1);
  });
});
