import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevConfigError, loadDevConfigFile, validateDevConfig } from './devConfig.js';
import { devContainerSet, type DevConfigSources } from './devContainers.js';

const podContainers = ['web', 'worker', 'metrics'];

/** A local folder holding `devmode.yaml` and the given subfolders. */
function folder(yaml: string, subfolders: string[] = []): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'devmode-containers-')));
  writeFileSync(join(dir, 'devmode.yaml'), yaml);
  for (const sub of subfolders) mkdirSync(join(dir, sub), { recursive: true });
  return dir;
}

function setOf(dir: string, extra: Partial<DevConfigSources> = {}) {
  const file = loadDevConfigFile(dir);
  return devContainerSet({
    sources: { ...(file !== undefined ? { file } : {}), ...extra },
    target: 'web',
    podContainers,
    workload: 'Deployment shop',
    localDir: dir,
  });
}

function rejection(run: () => unknown): DevConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof DevConfigError) return error;
    throw error;
  }
  throw new Error('expected a DevConfigError');
}

describe('devContainerSet', () => {
  it('adds the containers marked dev, each with its own settings only, in pod order', () => {
    const dir = folder(
      [
        'image: dev:1',
        'env: {A: "1"}',
        'containers:',
        '  metrics: {dev: true, workDir: /m}',
        '  worker: {dev: true, image: worker-dev, sync: {localPath: jobs}}',
        '',
      ].join('\n'),
      ['jobs'],
    );
    const set = setOf(dir);
    expect(set.target).toMatchObject({ config: { container: 'web', image: 'dev:1', env: { A: '1' } }, localDir: dir });
    expect(set.added.map((entry) => entry.config.container)).toEqual(['worker', 'metrics']);
    const [worker, metrics] = set.added;
    // The top-level keys are the target's: the worker keeps its own image setting and no env from above.
    expect(worker?.config).toMatchObject({ image: 'worker-dev', env: {}, workDir: '/home/devmode' });
    expect(worker?.localDir).toBe(join(dir, 'jobs'));
    // An added container without a sync folder syncs nothing, and keeps its image when it names none.
    expect(metrics?.localDir).toBeUndefined();
    expect(metrics?.config.image).toBeUndefined();
    expect(metrics?.config.workDir).toBe('/m');
  });

  it('lets a higher source take a container out of DevMode again', () => {
    const dir = folder('containers:\n  worker: {dev: true}\n');
    const request = validateDevConfig({ containers: { worker: { dev: false } } }, { kind: 'request' });
    expect(setOf(dir, { request }).added).toEqual([]);
  });

  it('syncs the target container from its own sync.localPath when it names one', () => {
    const dir = folder('sync: {localPath: web}\n', ['web']);
    expect(setOf(dir).target.localDir).toBe(join(dir, 'web'));
  });

  it('refuses a container name the workload does not have, at its line', () => {
    const dir = folder('image: x\ncontainers:\n  wroker:\n    dev: true\n');
    expect(rejection(() => setOf(dir))).toMatchObject({
      file: join(dir, 'devmode.yaml'),
      line: 3,
      field: 'containers.wroker',
      problem: 'names no container of Deployment shop; its containers: web, worker, metrics',
    });
  });

  it('refuses a sync folder outside the local folder, missing, or not a folder', () => {
    const outside = folder('containers:\n  worker:\n    dev: true\n    sync: {localPath: ../elsewhere}\n');
    expect(rejection(() => setOf(outside))).toMatchObject({ line: 4, field: 'containers.worker.sync.localPath' });
    expect(rejection(() => setOf(outside)).problem).toMatch(/must name a folder inside the local folder/);
    const missing = folder('containers:\n  worker:\n    dev: true\n    sync: {localPath: nope}\n');
    expect(rejection(() => setOf(missing)).problem).toMatch(/does not exist/);
    const file = folder('containers:\n  worker:\n    dev: true\n    sync: {localPath: devmode.yaml}\n');
    expect(rejection(() => setOf(file)).problem).toMatch(/is not a folder/);
  });

  it('refuses a two-way sync that overlaps another container’s folder, and allows one-way overlaps', () => {
    const yaml = (mode: string) =>
      `sync: {mode: ${mode}}\ncontainers:\n  worker:\n    dev: true\n    sync:\n      localPath: jobs\n`;
    expect(setOf(folder(yaml('send'), ['jobs'])).added).toHaveLength(1);
    const error = rejection(() => setOf(folder(yaml('both'), ['jobs'])));
    expect(error).toMatchObject({ line: 6, field: 'containers.worker.sync.localPath' });
    expect(error.problem).toMatch(/container web syncs both ways/);
  });

  it('refuses two containers forwarding one local port, and an added container’s own start timeout', () => {
    const ports = folder(
      'portForward: [8080]\ncontainers:\n  worker:\n    dev: true\n    portForward: ["8080:9090"]\n',
    );
    expect(rejection(() => setOf(ports))).toMatchObject({ line: 5, field: 'containers.worker.portForward' });
    const timeout = folder('containers:\n  worker:\n    dev: true\n    startTimeoutSeconds: 30\n');
    expect(rejection(() => setOf(timeout))).toMatchObject({
      line: 4,
      field: 'containers.worker.startTimeoutSeconds',
    });
  });

  it('names the request as the source of a fault found in the request config', () => {
    const dir = folder('image: x\n');
    const request = validateDevConfig({ containers: { nope: { dev: true } } }, { kind: 'request' });
    expect(rejection(() => setOf(dir, { request }))).toMatchObject({
      file: undefined,
      sourceKind: 'request',
      field: 'containers.nope',
    });
  });

  it('refuses dev at the top level: the target container is in DevMode anyway', () => {
    expect(() => validateDevConfig({ dev: true }, { kind: 'request' })).toThrow(DevConfigError);
  });
});
