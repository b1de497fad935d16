// Generates protocol/metaModel.json, PROTOCOL.md and the Neovim plugin's protocol module
// (plugins/neovim/lua/devmode/protocol.lua) from the declarations in protocol/src.
//
//   node build/generateProtocol.mjs                 writes both files
//   node build/generateProtocol.mjs --check         exits 1 when any of them differs from what would be generated
//   --out-dir <dir>                                 reads and writes the three files under <dir>
//                                                   instead of the repository's own files
//   --src-dir <dir>                                 reads the declarations from <dir> instead of protocol/src
//
// The output is deterministic (stable order, no timestamps), so CI can regenerate and compare.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderProtocolDoc } from './protocolDocs.mjs';
import { renderLuaProtocol } from './protocolLua.mjs';
import { ProtocolSourceError, readProtocol } from './protocolModel.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outputs = [
  { relative: 'protocol/metaModel.json', render: (protocol) => `${JSON.stringify(protocol.model, null, 2)}\n` },
  { relative: 'PROTOCOL.md', render: renderProtocolDoc },
  { relative: 'plugins/neovim/lua/devmode/protocol.lua', render: renderLuaProtocol },
];

function parseArgs(argv) {
  const options = { check: false, outDir: repoRoot, srcDir: path.join(repoRoot, 'protocol/src') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') options.check = true;
    else if (arg === '--out-dir' && argv[i + 1] !== undefined) options.outDir = path.resolve(argv[++i]);
    else if (arg === '--src-dir' && argv[i + 1] !== undefined) options.srcDir = path.resolve(argv[++i]);
    else
      throw new UsageError(
        `unknown argument ${JSON.stringify(arg)} (usage: generateProtocol.mjs [--check] [--out-dir <dir>] [--src-dir <dir>])`,
      );
  }
  return options;
}

class UsageError extends Error {}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const protocol = readProtocol(options.srcDir);
  const stale = [];
  for (const output of outputs) {
    const file = path.join(options.outDir, output.relative);
    const text = output.render(protocol);
    if (options.check) {
      const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (onDisk !== text)
        stale.push(`${output.relative} is ${onDisk === undefined ? 'missing' : 'stale'}: run npm run generate`);
    } else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  }
  if (stale.length > 0) {
    for (const line of stale) process.stderr.write(`${line}\n`);
    process.exitCode = 1;
    return;
  }
  const counts = `${protocol.model.requests.length} requests, ${protocol.model.notifications.length} notifications`;
  process.stdout.write(
    options.check
      ? `protocol files are up to date (${counts})\n`
      : `generated ${outputs.map((o) => o.relative).join(' and ')} (${counts})\n`,
  );
}

try {
  main();
} catch (error) {
  if (error instanceof ProtocolSourceError || error instanceof UsageError) {
    process.stderr.write(`generateProtocol: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
