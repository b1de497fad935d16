import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  annotationDevConfig,
  defaultDevCommand,
  DevConfigError,
  effectiveDevConfig,
  loadDevConfigFile,
  parseDevConfig,
  validateDevConfig,
} from './devConfig.js';
import { devConfigLimits, devConfigSchema } from './devConfigSchema.js';
import { assertSupportedSchema, type JsonSchema } from './jsonSchema.js';
import { configAnnotation } from './objects.js';

const file = '/src/web/devmode.yaml';

/** Parses text that must be rejected and returns the error's location and message. */
function rejection(text: string, kind: 'file' | 'annotation' | 'request' = 'file') {
  try {
    parseDevConfig(text, kind === 'file' ? { file, kind } : { kind });
  } catch (error) {
    if (!(error instanceof DevConfigError)) throw error;
    return { file: error.file, line: error.line, field: error.field, problem: error.problem, message: error.message };
  }
  throw new Error('the config was accepted');
}

describe('parseDevConfig', () => {
  it('accepts every documented field and returns the config as written', () => {
    const text = [
      'image: devmode/dev',
      'workDir: /home/devmode',
      'shell: bash',
      'command: ["sh", "-c", "sleep 1d"]',
      'env: {DEBUG: 1, MODE: dev}',
      'resources: {limits: {cpu: "1", memory: 1Gi}, requests: {cpu: 100m}}',
      'portForward: ["8080:9080", "9229", 3000]',
      'sync: {mode: both, ignore: [node_modules], include: [dist/keep], useGitignore: false}',
      'persistentDirs: [{path: /home/devmode/.cache, capacity: 2Gi, storageClass: fast}]',
      'patches:',
      '  - type: strategic',
      '    patch: {spec: {containers: [{name: api, tty: true}]}}',
      '  - type: json',
      '    patch: [{op: add, path: /metadata/labels/x, value: "1"}, {op: remove, path: /spec/hostNetwork}]',
      'startTimeoutSeconds: 120',
      'containers:',
      '  api:',
      '    env: [{name: PORT, value: "8080"}]',
      '    sync: {mode: send}',
    ].join('\n');
    const config = parseDevConfig(text, { file, kind: 'file' });
    expect(config.image).toBe('devmode/dev');
    expect(config.env).toEqual({ DEBUG: 1, MODE: 'dev' });
    expect(config.containers?.api?.env).toEqual([{ name: 'PORT', value: '8080' }]);
    expect(config.patches?.[1]).toEqual({
      type: 'json',
      patch: [
        { op: 'add', path: '/metadata/labels/x', value: '1' },
        { op: 'remove', path: '/spec/hostNetwork' },
      ],
    });
  });

  it('accepts YAML anchors and merge keys', () => {
    const text =
      'containers:\n  api: &base\n    image: dev:1\n    workDir: /app\n  worker:\n    <<: *base\n    workDir: /w\n';
    expect(parseDevConfig(text, { file, kind: 'file' }).containers).toEqual({
      api: { image: 'dev:1', workDir: '/app' },
      worker: { image: 'dev:1', workDir: '/w' },
    });
  });

  it('accepts an empty file and JSON text', () => {
    expect(parseDevConfig('', { file, kind: 'file' })).toEqual({});
    expect(parseDevConfig('# nothing yet\n', { file, kind: 'file' })).toEqual({});
    expect(parseDevConfig('{"image": "node:22", "sync": {"mode": "both"}}', { kind: 'annotation' })).toEqual({
      image: 'node:22',
      sync: { mode: 'both' },
    });
  });

  it('locates invalid YAML at the line the parser stopped', () => {
    const error = rejection('image: x\nsync:\n  mode: [send\nworkDir: /a\n');
    expect(error).toMatchObject({ file, line: 4, field: '' });
    expect(error.problem).toMatch(/^is not valid YAML: Flow sequence in block collection/);
  });

  it('rejects a key given twice as invalid YAML on the second occurrence', () => {
    expect(rejection('image: a\nshell: sh\nimage: b\n')).toMatchObject({ file, line: 3, field: '' });
  });

  it('rejects a document that is not a mapping', () => {
    expect(rejection('- image: x\n')).toMatchObject({ line: 1, field: '', problem: 'must be a mapping' });
  });

  it('names an unknown top-level key at its line and suggests the likely one', () => {
    expect(rejection('workDir: /w\nimgae: node:22\n')).toEqual({
      file,
      line: 2,
      field: 'imgae',
      problem: 'is not a known field (did you mean "image"?)',
      message: `${file}:2: imgae is not a known field (did you mean "image"?)`,
    });
  });

  it('names an unknown nested key by its dotted path', () => {
    const text = 'containers:\n  api:\n    sync:\n      mode: send\n      ignored: [x]\n';
    expect(rejection(text)).toMatchObject({ line: 5, field: 'containers.api.sync.ignored' });
  });

  it('names a wrong type at the line of the value', () => {
    expect(rejection('image: x\nstartTimeoutSeconds: "soon"\n')).toMatchObject({
      line: 2,
      field: 'startTimeoutSeconds',
      problem: 'must be an integer',
    });
    expect(rejection('command: sh -c sleep\n')).toMatchObject({ line: 1, field: 'command', problem: 'must be a list' });
  });

  it('names a bad enum value with the allowed values', () => {
    const text = 'containers:\n  api:\n    sync:\n      mode: sendReceive\n';
    expect(rejection(text)).toMatchObject({
      line: 4,
      field: 'containers.api.sync.mode',
      problem: 'must be one of "send", "both"',
    });
  });

  it('rejects ports outside 1..65535 and malformed port strings', () => {
    expect(rejection('portForward:\n  - "8080:9080"\n  - "8080:65536"\n')).toMatchObject({
      line: 3,
      field: 'portForward[1]',
    });
    expect(rejection('portForward: ["0"]\n')).toMatchObject({ line: 1, field: 'portForward[0]' });
    expect(rejection('portForward: ["80:"]\n')).toMatchObject({ field: 'portForward[0]' });
    expect(rejection('portForward: [70000]\n')).toMatchObject({
      field: 'portForward[0]',
      problem: 'must be at most 65535',
    });
    expect(rejection('portForward: ["8080", "8080:81"]\n').problem).toBe('repeats an earlier local port');
  });

  it('rejects relative paths', () => {
    expect(rejection('workDir: src/app\n')).toMatchObject({ line: 1, field: 'workDir' });
    const text = 'containers:\n  api:\n    persistentDirs:\n      - path: /ok\n      - path: cache\n';
    const error = rejection(text);
    expect(error).toMatchObject({ line: 5, field: 'containers.api.persistentDirs[1].path' });
    expect(error.problem).toContain('absolute');
  });

  it('points a missing required field at the entry that lacks it', () => {
    const text = 'persistentDirs:\n  - capacity: 1Gi\n';
    expect(rejection(text)).toMatchObject({ line: 2, field: 'persistentDirs[0].path', problem: 'is required' });
  });

  it('rejects two persistent dirs on one path', () => {
    const text = 'persistentDirs:\n  - path: /cache\n  - path: /cache/\n';
    expect(rejection(text)).toMatchObject({ line: 3, field: 'persistentDirs[1].path' });
  });

  it('explains env as a mapping or a list', () => {
    expect(rejection('env: DEBUG=1\n')).toMatchObject({
      line: 1,
      field: 'env',
      problem: 'must be a mapping or a list',
    });
    expect(rejection('env:\n  - name: "1BAD"\n    value: x\n')).toMatchObject({ line: 2, field: 'env[0].name' });
    expect(rejection('env:\n  - name: A\n')).toMatchObject({ line: 2, field: 'env[0].value', problem: 'is required' });
    expect(rejection('env:\n  GOOD: 1\n  "no spaces": 2\n')).toMatchObject({ line: 3, field: 'env.no spaces' });
  });

  it('checks patches against their type', () => {
    expect(rejection('patches:\n  - type: json\n    patch: {spec: {}}\n')).toMatchObject({
      line: 3,
      field: 'patches[0].patch',
      problem: 'must be a list',
    });
    expect(rejection('patches:\n  - type: strategic\n    patch: [{op: add}]\n')).toMatchObject({
      line: 3,
      field: 'patches[0].patch',
      problem: 'must be a mapping',
    });
    expect(rejection('patches:\n  - type: kustomize\n    patch: {}\n')).toMatchObject({
      line: 2,
      field: 'patches[0].type',
      problem: 'must be one of "strategic", "merge", "json"',
    });
    const badOp = 'patches:\n  - type: json\n    patch:\n      - {op: add, path: /x}\n      - {op: delete, path: /y}\n';
    expect(rejection(badOp)).toMatchObject({ line: 4, field: 'patches[0].patch[0].value', problem: 'is required' });
    const unknownOp = 'patches:\n  - type: json\n    patch:\n      - {op: delete, path: /y}\n';
    expect(rejection(unknownOp)).toMatchObject({
      line: 4,
      field: 'patches[0].patch[0].op',
      problem: 'must be one of "add", "replace", "test", "remove", "move", "copy"',
    });
  });

  it('rejects a bad container name in containers', () => {
    expect(rejection('containers:\n  Web_1:\n    image: x\n')).toMatchObject({ line: 2, field: 'containers.Web_1' });
  });

  it('reports the earliest of several faults', () => {
    expect(rejection('shell: 1\nimage: 2\n')).toMatchObject({ line: 1, field: 'shell' });
  });

  it('names the annotation when the fault is in the workload annotation', () => {
    const error = rejection('sync: {mode: up}\n', 'annotation');
    expect(error).toMatchObject({ file: undefined, line: 1, field: 'sync.mode' });
    expect(error.message).toBe(`annotation ${configAnnotation}:1: sync.mode must be one of "send", "both"`);
  });
});

/** A billion-laughs document: a few hundred bytes that expand to 9^depth strings. */
function yamlBomb(depth: number): string {
  const lines = ['image: devmode/dev', 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level <= depth; level++) {
    lines.push(
      `l${level}: &l${level} [${Array(9)
        .fill(`*l${level - 1}`)
        .join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('bounded sources', () => {
  it('refuses a YAML bomb with the line of its first alias, not the library message', () => {
    const error = rejection(yamlBomb(9));
    expect(error).toMatchObject({ file, line: 3, field: '' });
    expect(error.problem).toContain('aliases');
    expect(error.message).not.toContain('attack');
  });

  it('still resolves a few aliases', () => {
    const config = parseDevConfig('env: &e {A: "1"}\ncontainers:\n  api: {env: *e}\n', { file, kind: 'file' });
    expect(config.containers?.api?.env).toEqual({ A: '1' });
  });

  it('refuses an oversized source before parsing it and names its largest field and line', () => {
    const command = Array.from({ length: 200_000 }, (_, index) => `  - arg${index}`).join('\n');
    const text = `image: devmode/dev\nworkDir: /${'w'.repeat(100_000)}\ncommand:\n${command}\n`;
    const error = rejection(text);
    expect(error).toMatchObject({ file, line: 3, field: 'command' });
    expect(error.problem).toContain('at most 128 KiB');
    expect(rejection(`{"command": ${JSON.stringify(Array(100_000).fill('x'))}}`, 'annotation')).toMatchObject({
      line: undefined,
      field: 'command',
    });
  });

  it('bounds every string, list and mapping within the size of a source', () => {
    expect(rejection(`workDir: /${'w'.repeat(5000)}\n`)).toMatchObject({
      line: 1,
      field: 'workDir',
      problem: 'must be at most 4095 characters long (it has 5001)',
    });
    const args = Array.from({ length: devConfigLimits.commandArguments + 1 }, () => 'x').join(', ');
    expect(rejection(`image: a\ncommand: [${args}]\n`)).toMatchObject({
      line: 2,
      field: 'command',
      problem: 'must have at most 1024 items (it has 1025)',
    });
    const env = Array.from({ length: 2000 }, (_, index) => `  V${index}: x`).join('\n');
    expect(rejection(`env:\n${env}\n`)).toMatchObject({
      line: 2,
      field: 'env',
      problem: 'must have at most 1024 entries (it has 2000)',
    });
    const list = Array.from({ length: 2000 }, (_, index) => `  - {name: V${index}, value: x}`).join('\n');
    expect(rejection(`env:\n${list}\n`)).toMatchObject({ line: 2, field: 'env' });
  });

  it('bounds a request config by its JSON size and names its largest field', () => {
    const config = {
      image: 'devmode/dev',
      env: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`V${i}`, 'x'])),
    };
    expect(() => validateDevConfig(config, { kind: 'request' })).toThrow(/^request config: env takes .* 128 KiB$/);
    expect(() => validateDevConfig(config, { kind: 'request' })).toThrow(
      expect.objectContaining({ field: 'env', line: undefined }),
    );
  });

  it('refuses an oversized annotation', () => {
    const workload = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { [configAnnotation]: `workDir: /${'w'.repeat(200_000)}` } },
    };
    expect(() => annotationDevConfig(workload)).toThrow(expect.objectContaining({ field: 'workDir', line: 1 }));
  });
});

describe('validateDevConfig', () => {
  it('validates a request config given as a value, without lines', () => {
    expect(validateDevConfig({ image: 'node:22' }, { kind: 'request' })).toEqual({ image: 'node:22' });
    expect(validateDevConfig(undefined, { kind: 'request' })).toEqual({});
    expect(() => validateDevConfig({ containers: { api: { workDir: 'rel' } } }, { kind: 'request' })).toThrow(
      expect.objectContaining({ field: 'containers.api.workDir', line: undefined }),
    );
  });
});

describe('loadDevConfigFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'devconfig-'));
    dirs.push(dir);
    return dir;
  };

  it('returns undefined when the folder has no devmode.yaml', () => {
    expect(loadDevConfigFile(tempDir())).toBeUndefined();
  });

  it('reads and validates devmode.yaml', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'devmode.yaml'), 'image: node:22\n');
    expect(loadDevConfigFile(dir)).toEqual({ file: join(dir, 'devmode.yaml'), config: { image: 'node:22' } });
  });

  it('names the file in errors', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'devmode.yaml'), '\n\nsync:\n  mode: one-way\n');
    expect(() => loadDevConfigFile(dir)).toThrow(`${join(dir, 'devmode.yaml')}:4: sync.mode must be one of`);
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'devmode.yaml')]);
    expect(() => loadDevConfigFile(dir)).toThrow(`${join(dir, 'devmode.yaml')}: is not a regular file`);
  });

  it('reports an unreadable path as a dev config error', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'devmode.yaml'));
    expect(() => loadDevConfigFile(dir)).toThrow(DevConfigError);
  });
});

describe('annotationDevConfig', () => {
  it('reads the config annotation of a workload', () => {
    const workload = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { [configAnnotation]: 'image: node:22' } },
    };
    expect(annotationDevConfig(workload)).toEqual({ image: 'node:22' });
    expect(annotationDevConfig({ ...workload, metadata: { name: 'web' } })).toBeUndefined();
  });
});

describe('effectiveDevConfig', () => {
  it('fills every default when no source sets anything', () => {
    const { config, sources } = effectiveDevConfig({ container: 'api' });
    expect(config).toEqual({
      container: 'api',
      workDir: '/home/devmode',
      command: defaultDevCommand,
      env: {},
      portForward: [],
      sync: { mode: 'send', ignore: [], include: [], useGitignore: true },
      persistentDirs: [],
      patches: [],
      startTimeoutSeconds: 300,
      onSync: [],
    });
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
    expect(sources.image).toBe('default');
  });

  it('applies request over file over annotation over default, container keys over top-level keys', () => {
    const annotationConfig = parseDevConfig(
      'image: team/dev\nshell: zsh\nenv: {A: annotation, B: annotation}\nsync: {ignore: [tmp]}\n' +
        'containers: {api: {workDir: /srv}}\n',
      { kind: 'annotation' },
    );
    const fileConfig = parseDevConfig(
      'image: file/dev\nenv: [{name: B, value: file}]\nsync: {mode: both}\nresources: {limits: {cpu: 2}}\n' +
        'containers: {api: {image: file/api-dev, portForward: ["8080:80"]}, worker: {image: worker/dev}}\n',
      { file, kind: 'file' },
    );
    const requestConfig = validateDevConfig(
      { env: { C: 'request' }, resources: { requests: { memory: '1Gi' } }, containers: { api: { shell: 'bash' } } },
      { kind: 'request' },
    );
    const { config, sources } = effectiveDevConfig({ container: 'api', annotationConfig, fileConfig, requestConfig });
    expect(config.image).toBe('file/api-dev');
    expect(config.workDir).toBe('/srv');
    expect(config.shell).toBe('bash');
    expect(config.env).toEqual({ A: 'annotation', B: 'file', C: 'request' });
    expect(config.sync).toEqual({ mode: 'both', ignore: ['tmp'], include: [], useGitignore: true });
    expect(config.resources).toEqual({ limits: { cpu: '2' }, requests: { memory: '1Gi' } });
    expect(config.portForward).toEqual([{ local: 8080, remote: 80 }]);
    expect(sources).toMatchObject({
      image: 'file',
      workDir: 'annotation',
      shell: 'request',
      command: 'default',
      'env.A': 'annotation',
      'env.B': 'file',
      'env.C': 'request',
      'sync.mode': 'file',
      'sync.ignore': 'annotation',
      'sync.useGitignore': 'default',
      'resources.limits': 'file',
      'resources.requests': 'request',
      portForward: 'file',
      startTimeoutSeconds: 'default',
    });
  });

  it('reads onSync as one rule or a list, per container, and debug', () => {
    const fileConfig = parseDevConfig(
      'onSync: {exec: [make]}\ndebug: {port: 9229, kind: node}\n' +
        'containers: {api: {onSync: [{match: "*.go", restart: true}, {match: ["web/**", "*.css"], exec: [npm, run, build]}]}}\n',
      { file, kind: 'file' },
    );
    expect(effectiveDevConfig({ container: 'api', fileConfig }).config).toMatchObject({
      onSync: [
        { match: ['*.go'], restart: true },
        { match: ['web/**', '*.css'], exec: ['npm', 'run', 'build'] },
      ],
      debug: { port: 9229, kind: 'node' },
    });
    expect(effectiveDevConfig({ container: 'worker', fileConfig }).config.onSync).toEqual([
      { match: [], exec: ['make'] },
    ]);
  });

  it('refuses an onSync rule with both actions or none, and an unknown debug kind, naming the field', () => {
    expect(rejection('onSync: [{match: "*.go", restart: true, exec: [make]}]\n')).toMatchObject({
      line: 1,
      field: 'onSync[0]',
    });
    expect(rejection('onSync:\n  match: "*.go"\n')).toMatchObject({ field: 'onSync.exec' });
    expect(rejection('onSync: {restart: false}\n')).toMatchObject({ field: 'onSync.restart' });
    expect(rejection('debug: {port: 9229, kind: ruby}\n')).toMatchObject({ line: 1, field: 'debug.kind' });
    expect(rejection('debug: {kind: node}\n')).toMatchObject({ field: 'debug.port' });
  });

  it('ignores other containers sections', () => {
    const fileConfig = parseDevConfig('containers: {worker: {image: worker/dev}}', { file, kind: 'file' });
    const { config, sources } = effectiveDevConfig({ container: 'api', fileConfig });
    expect(config.image).toBeUndefined();
    expect(sources.image).toBe('default');
  });

  it('normalises ports, env values and persistent dirs', () => {
    const fileConfig = parseDevConfig(
      'portForward: [9229, "3000", "8080:80"]\nenv: {N: 5, F: false}\npersistentDirs: [{path: /c}, {path: /d, capacity: 5Gi, storageClass: ssd}]',
      { file, kind: 'file' },
    );
    const { config } = effectiveDevConfig({ container: 'api', fileConfig });
    expect(config.portForward).toEqual([
      { local: 9229, remote: 9229 },
      { local: 3000, remote: 3000 },
      { local: 8080, remote: 80 },
    ]);
    expect(config.env).toEqual({ N: '5', F: 'false' });
    expect(config.persistentDirs).toEqual([
      { path: '/c', capacity: '1Gi' },
      { path: '/d', capacity: '5Gi', storageClass: 'ssd' },
    ]);
  });
});

describe('devConfigSchema', () => {
  it('uses only keywords the validator enforces', () => {
    expect(() => assertSupportedSchema(devConfigSchema)).not.toThrow();
    expect(devConfigSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('describes every property', () => {
    const undescribed: string[] = [];
    const walk = (schema: JsonSchema, where: string): void => {
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        if (!property.description) undescribed.push(`${where}.${name}`);
        walk(property, `${where}.${name}`);
      }
      if (schema.items) walk(schema.items, `${where}[]`);
      if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${where}.*`);
      schema.oneOf?.forEach((branch, index) => walk(branch, `${where}/oneOf${index}`));
    };
    walk(devConfigSchema, '');
    expect(undescribed).toEqual([]);
  });
});
