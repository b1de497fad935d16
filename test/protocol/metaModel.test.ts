import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParameterStructures } from 'vscode-jsonrpc';
import { afterAll, describe, expect, test } from 'vitest';
import * as protocol from '../../protocol/src/index.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const generator = join(repoRoot, 'build/generateProtocol.mjs');

// The agreed method surface lives in the shared design documents beside the checkout; its path can be overridden.
const outlinePath =
  process.env['DEVMODE_PROTOCOL_OUTLINE'] ??
  fileURLToPath(new URL('../../../shared/protocol-outline.md', import.meta.url));

interface MetaModelMessage {
  method: string;
  typeName: string;
  messageDirection: string;
  params?: unknown;
  result?: unknown;
}

interface MetaModel {
  requests: MetaModelMessage[];
  notifications: MetaModelMessage[];
  errorCodes: { name: string; code: number }[];
}

interface OutlineMethod {
  method: string;
  kind: 'request' | 'notification';
  direction: 'clientToServer' | 'serverToClient';
}

/** Every backticked method name in the first column of the outline's tables, with the kind its row states. */
function readOutline(): OutlineMethod[] {
  if (!existsSync(outlinePath)) {
    throw new Error(`the protocol outline was not found at ${outlinePath}; set DEVMODE_PROTOCOL_OUTLINE to its path`);
  }
  const methods: OutlineMethod[] = [];
  for (const line of readFileSync(outlinePath, 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (!line.startsWith('|') || cells.length < 4) continue;
    const [, first = '', kindCell = ''] = cells;
    const names = [...first.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
    if (names.length === 0) continue;
    const kind = kindCell.startsWith('notification') ? 'notification' : 'request';
    // A request row names no direction: requests in the outline are all sent by the client.
    const direction = kindCell.includes('s→c') ? 'serverToClient' : 'clientToServer';
    for (const method of names) methods.push({ method, kind, direction });
  }
  return methods;
}

function runGenerator(...args: string[]) {
  const run = spawnSync(process.execPath, [generator, ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const metaModel = JSON.parse(readFileSync(join(repoRoot, 'protocol/metaModel.json'), 'utf8')) as MetaModel;
const protocolDoc = readFileSync(join(repoRoot, 'PROTOCOL.md'), 'utf8');
const directionText = { clientToServer: 'client → server', serverToClient: 'server → client', both: 'both ways' };

/** The PROTOCOL.md section of one method, from its heading to the next heading of the same or a higher level. */
function docSection(method: string): string | undefined {
  const heading = protocolDoc
    .split('\n')
    .findIndex((line) => line.startsWith('### ') && line.endsWith(`\`${method}\``));
  if (heading === -1) return undefined;
  const rest = protocolDoc.split('\n').slice(heading + 1);
  const end = rest.findIndex((line) => /^#{2,3} /.test(line));
  return rest.slice(0, end === -1 ? undefined : end).join('\n');
}

describe('protocol meta-model and PROTOCOL.md', () => {
  const outline = readOutline();

  test('the outline lists the whole agreed surface', () => {
    // Guards the parsing below: the outline names 34 methods across its tables.
    expect(outline.length).toBeGreaterThanOrEqual(34);
    expect(outline.map((entry) => entry.method)).toContain('sync/resume');
  });

  test.each(outline.map((entry) => [entry.method, entry] as const))(
    '%s is declared and documented',
    (method, entry) => {
      const list = entry.kind === 'request' ? metaModel.requests : metaModel.notifications;
      const declared = list.find((candidate) => candidate.method === method);
      expect(declared, `${method} is missing from protocol/metaModel.json ${entry.kind}s`).toBeDefined();
      expect(declared?.messageDirection).toBe(entry.direction);

      const section = docSection(method);
      expect(section, `PROTOCOL.md has no section for ${method}`).toBeDefined();
      expect(section).toContain(`**Method:** \`${method}\``);
      expect(section).toContain(`**Direction:** ${directionText[entry.direction]} (${entry.kind})`);
      expect(section).toContain('**Since:** ');
      expect(section).toContain('**Example');
      expect(section).toContain('**Errors:** ');
    },
  );

  test('every exported message declaration is in the meta-model, with params by name', () => {
    const declarations = Object.entries(protocol as Record<string, unknown>).filter(
      (entry): entry is [string, { method: string; messageDirection: string; type: object }] =>
        typeof entry[1] === 'object' && entry[1] !== null && 'method' in entry[1] && 'type' in entry[1],
    );
    expect(declarations.length).toBe(metaModel.requests.length + metaModel.notifications.length);
    for (const [name, declaration] of declarations) {
      const isRequest = declaration.type instanceof protocol.ProtocolRequestType;
      const isNotification = declaration.type instanceof protocol.ProtocolNotificationType;
      expect(
        isRequest || isNotification,
        `${name}.type is neither a ProtocolRequestType nor a ProtocolNotificationType`,
      ).toBe(true);
      expect((declaration.type as { parameterStructures: unknown }).parameterStructures, name).toBe(
        ParameterStructures.byName,
      );
      const list = isRequest ? metaModel.requests : metaModel.notifications;
      const entry = list.find((candidate) => candidate.method === declaration.method);
      expect(entry, `${declaration.method} is missing from protocol/metaModel.json`).toBeDefined();
      expect(entry?.typeName).toBe(name);
      expect(entry?.messageDirection).toBe(declaration.messageDirection);
    }
  });

  test('every link in PROTOCOL.md leads somewhere in it', () => {
    const anchors = new Set([...protocolDoc.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]));
    for (const heading of protocolDoc.matchAll(/^#{1,3} ([A-Za-z][A-Za-z ]*)$/gm)) {
      anchors.add((heading[1] ?? '').toLowerCase().replace(/ /g, '-'));
    }
    const targets = [...protocolDoc.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
    expect(targets.length).toBeGreaterThan(100);
    expect(targets.filter((target) => !anchors.has(target))).toEqual([]);
  });

  test('the error codes in the meta-model are those of DevModeErrorCodes', () => {
    const codes = Object.entries(protocol.DevModeErrorCodes).map(([name, code]) => ({ name, code }));
    expect(metaModel.errorCodes.map(({ name, code }) => ({ name, code }))).toEqual(codes);
  });
});

describe('generateProtocol.mjs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'devmode-protocol-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('the checked-in files are up to date', () => {
    const run = runGenerator('--check');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('--check fails on a stale or missing file and passes once regenerated', () => {
    const out = join(scratch, 'check');
    expect(runGenerator('--out-dir', out).status).toBe(0);
    expect(readFileSync(join(out, 'protocol/metaModel.json'), 'utf8')).toBe(
      readFileSync(join(repoRoot, 'protocol/metaModel.json'), 'utf8'),
    );
    expect(runGenerator('--check', '--out-dir', out).status).toBe(0);

    const metaModelFile = join(out, 'protocol/metaModel.json');
    writeFileSync(metaModelFile, readFileSync(metaModelFile, 'utf8').replace('"devMode/start"', '"devMode/begin"'));
    const stale = runGenerator('--check', '--out-dir', out);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toBe('protocol/metaModel.json is stale: run npm run generate\n');

    unlinkSync(join(out, 'PROTOCOL.md'));
    const missing = runGenerator('--check', '--out-dir', out);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('PROTOCOL.md is missing: run npm run generate');

    expect(runGenerator('--out-dir', out).status).toBe(0);
    expect(runGenerator('--check', '--out-dir', out).status).toBe(0);
  });

  test('rejects declarations it cannot document faithfully', () => {
    const cases = [
      {
        name: 'an undocumented field',
        edit: (text: string) => text.replace('   * The namespace the workload lives in.\n', ''),
        message: /protocol\/src\/protocol\.devMode\.ts:\d+: Target\.namespace has no documentation comment/,
      },
      {
        name: 'an example that does not match the types',
        edit: (text: string) => text.replace('"params": {"sessionId": "s-4f2a"}', '"params": {"sessionId": 7}'),
        message: /@example of StopDevModeRequest does not match its types: params\.sessionId: expected string, got 7/,
      },
      {
        name: 'an unknown error code',
        edit: (text: string) => text.replace('@errors UnknownId, NotInDevMode', '@errors UnknownId, NotInDevMod'),
        message: /@errors of StopDevModeRequest names unknown error code NotInDevMod$/m,
      },
    ];
    for (const { name, edit, message } of cases) {
      const src = join(scratch, 'src');
      rmSync(src, { recursive: true, force: true });
      cpSync(join(repoRoot, 'protocol/src'), src, { recursive: true });
      const file = join(src, 'protocol.devMode.ts');
      const edited = edit(readFileSync(file, 'utf8'));
      expect(edited, `the ${name} case no longer changes the source`).not.toBe(readFileSync(file, 'utf8'));
      writeFileSync(file, edited);
      const run = runGenerator('--src-dir', src, '--out-dir', join(scratch, 'rejected'));
      expect(run.status, name).toBe(1);
      expect(run.stderr, name).toMatch(message);
      expect(existsSync(join(scratch, 'rejected')), name).toBe(false);
    }
  });
});
