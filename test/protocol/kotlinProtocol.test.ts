import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const generator = join(repoRoot, 'build/generateKotlinProtocol.mjs');
const modelFile = join(repoRoot, 'protocol/metaModel.json');
const kotlinFile = join(repoRoot, 'plugins/jetbrains/core/src/main/kotlin/dev/devmode/core/protocol/Protocol.kt');
const scratch = mkdtempSync(join(tmpdir(), 'devmode-kotlin-protocol-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Message {
  method: string;
  messageDirection: string;
}

function generate(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [generator, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the JetBrains core's generated protocol types", () => {
  test('the committed Protocol.kt is what the generator makes from metaModel.json', () => {
    const out = join(scratch, 'Fresh.kt');
    expect(generate(['--out', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(kotlinFile, 'utf8'));
  });

  test('every method appears once in the lsp4j interfaces, except $/cancelRequest which lsp4j handles', () => {
    const model = JSON.parse(readFileSync(modelFile, 'utf8')) as { requests: Message[]; notifications: Message[] };
    const kotlin = readFileSync(kotlinFile, 'utf8');
    for (const message of [...model.requests, ...model.notifications]) {
      const annotation = model.requests.includes(message) ? 'JsonRequest' : 'JsonNotification';
      const count = kotlin.split(`@${annotation}(${JSON.stringify(message.method)})`).length - 1;
      const expected = message.method === '$/cancelRequest' ? 0 : message.messageDirection === 'both' ? 2 : 1;
      expect({ method: message.method, count }).toEqual({ method: message.method, count: expected });
    }
  });

  test('--check fails naming the file when the model changed and the types were not regenerated', () => {
    const model = JSON.parse(readFileSync(modelFile, 'utf8')) as {
      structures: { name: string; properties: unknown[] }[];
    };
    const target = model.structures.find((structure) => structure.name === 'Target');
    target?.properties.push({
      name: 'cluster',
      type: { kind: 'base', name: 'string' },
      optional: true,
      documentation: 'A field added to the protocol.',
    });
    const changedModel = join(scratch, 'metaModel.json');
    writeFileSync(changedModel, JSON.stringify(model));
    const check = generate(['--check', '--model', changedModel, '--out', kotlinFile]);
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('Protocol.kt is stale: run npm run generate');

    const out = join(scratch, 'Changed.kt');
    expect(generate(['--model', changedModel, '--out', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('val cluster: String? = null,');
  });

  test('a type the generator has no Kotlin shape for is a named error, not a guess', () => {
    const model = JSON.parse(readFileSync(modelFile, 'utf8')) as {
      structures: { name: string; properties: unknown[] }[];
    };
    model.structures[0]?.properties.push({ name: 'odd', type: { kind: 'tuple', items: [] }, optional: false });
    const badModel = join(scratch, 'bad.json');
    writeFileSync(badModel, JSON.stringify(model));
    const result = generate(['--model', badModel, '--out', join(scratch, 'Bad.kt')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('generateKotlinProtocol: type kind tuple has no Kotlin mapping');
  });
});
