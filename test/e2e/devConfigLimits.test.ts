/**
 * Hostile and mistaken dev configs through the real server: a YAML bomb, a file of megabytes, an oversized
 * annotation or request config are each refused at once with DevConfigInvalid naming the source, line and field,
 * and the server keeps answering other requests meanwhile.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startClient, type DevmodeClient } from '../helpers/devmodeClient.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { apply, projectDir, snapshot } from './devModeHelpers.js';

const devConfigInvalid = -31010;
const ratings = { namespace: 'default', kind: 'Deployment', name: 'ratings' };

let sandbox: TestSandbox;
let client: DevmodeClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = await startClient(sandbox.env);
  await apply(sandbox, 'deployment.yaml');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
}, 60_000);

/** A billion-laughs devmode.yaml: under a kilobyte that would expand to 9^9 strings. */
function yamlBomb(): string {
  const lines = ['image: devmode/dev', 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level <= 9; level++) {
    lines.push(
      `l${level}: &l${level} [${Array(9)
        .fill(`*l${level - 1}`)
        .join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The 3 MB devmode.yaml of the report: a 100,000-character workDir, 200,000 arguments and 20,000 variables. */
function hugeConfig(): string {
  const command = Array.from({ length: 200_000 }, (_, index) => `  - arg${index}`).join('\n');
  const env = Array.from({ length: 20_000 }, (_, index) => `  VAR_${index}: value-${index}`).join('\n');
  return `image: devmode/dev\nworkDir: /${'w'.repeat(100_000)}\ncommand:\n${command}\nenv:\n${env}\n`;
}

/** Resolves with how a request ended, or with 'no answer' when it did not end within a deadline. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'no answer'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'no answer'>((resolve) => (timer = setTimeout(() => resolve('no answer'), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('dev configs that would exhaust the server are refused with DevConfigInvalid', () => {
  test('a YAML bomb names the file and the line of its first alias', async () => {
    const dir = projectDir(yamlBomb());
    const error = await client.requestError('devConfig/get', { target: ratings, localDir: dir });
    expect(error.code).toBe(devConfigInvalid);
    expect(error.data).toMatchObject({ file: `${dir}/devmode.yaml`, line: 3 });
    expect(error.message).toContain('aliases');
    expect(error.message).not.toContain('resource exhaustion');
  });

  test('a 3 MB devmode.yaml names its largest field, and other requests are answered meanwhile', async () => {
    const dir = projectDir(hugeConfig());
    const rejected = client.requestError('devConfig/get', { target: ratings, localDir: dir });
    // Sent right behind it: a server busy parsing megabytes would leave this waiting.
    const schema = client.request<{ schema: { title: string } }>('devConfig/schema', {});
    const answered = await within(schema, 10_000);
    expect(answered).not.toBe('no answer');
    expect(answered).toMatchObject({ schema: { title: 'devmode.yaml' } });
    const error = await rejected;
    expect(error.code).toBe(devConfigInvalid);
    expect(error.data).toMatchObject({ file: `${dir}/devmode.yaml`, line: 3, field: 'command' });
    expect(error.message).toContain('at most 128 KiB');
  });

  test('devMode/start with the 3 MB devmode.yaml is refused and changes nothing', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const dir = projectDir(hugeConfig());
    const error = await client.requestError('devMode/start', { target: ratings, localDir: dir });
    expect(error.code).toBe(devConfigInvalid);
    expect(error.data).toMatchObject({ field: 'command', line: 3 });
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });

  test('a field over its bound in a small file names the field', async () => {
    const dir = projectDir(`image: devmode/dev\nworkDir: /${'w'.repeat(5000)}\n`);
    const error = await client.requestError('devConfig/get', { target: ratings, localDir: dir });
    expect(error).toMatchObject({ code: devConfigInvalid, data: { line: 2, field: 'workDir' } });
    expect(error.message).toContain('at most 4095 characters');
  });

  test('an oversized request config is refused by its size and names its largest field', async () => {
    const before = await snapshot(sandbox, 'deployment', 'ratings');
    const env = Object.fromEntries(Array.from({ length: 20_000 }, (_, index) => [`VAR_${index}`, `value-${index}`]));
    const error = await client.requestError('devMode/start', {
      target: ratings,
      localDir: projectDir(),
      config: { image: 'devmode/dev', env },
    });
    expect(error).toMatchObject({ code: devConfigInvalid, data: { field: 'env' } });
    expect(error.message).toContain('request config');
    expect(await snapshot(sandbox, 'deployment', 'ratings')).toBe(before);
  });

  test('an oversized devmode.dev/config annotation is refused with its line and field', async () => {
    const workload = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'annotated',
        annotations: { 'devmode.dev/config': `image: devmode/dev\nworkDir: /${'w'.repeat(140_000)}\n` },
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'annotated' } },
        template: {
          metadata: { labels: { app: 'annotated' } },
          spec: { containers: [{ name: 'app', image: 'devmode/ratings' }] },
        },
      },
    };
    const created = await sandbox.kubectl(['create', '-f', '-'], { input: JSON.stringify(workload) });
    expect(created.stderr).toBe('');
    const error = await client.requestError('devConfig/get', {
      target: { namespace: 'default', kind: 'Deployment', name: 'annotated' },
      localDir: projectDir(),
    });
    expect(error).toMatchObject({ code: devConfigInvalid, data: { line: 2, field: 'workDir' } });
    expect(error.message).toContain('annotation devmode.dev/config');
  });
});
