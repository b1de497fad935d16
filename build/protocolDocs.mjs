// Renders PROTOCOL.md from the meta-model and the declarations' own TypeScript source, so that the document shows
// exactly what a client author would read in protocol/src.
import ts from 'typescript';
import { allProperties } from './protocolModel.mjs';

const directions = {
  clientToServer: 'client → server',
  serverToClient: 'server → client',
  both: 'both ways',
};

const concernTitles = {
  'protocol.$.ts': 'Base protocol',
  'protocol.window.ts': 'Window',
  'protocol.lifecycle.ts': 'Lifecycle',
  'protocol.cluster.ts': 'Clusters',
  'protocol.tree.ts': 'Cluster tree',
  'protocol.devMode.ts': 'DevMode',
  'protocol.devConfig.ts': 'Dev config',
  'protocol.portForward.ts': 'Port-forward',
  'protocol.sync.ts': 'File sync',
  'protocol.terminal.ts': 'Terminal',
  'protocol.logs.ts': 'Logs',
};

/** The standard errors any request may answer; they are not repeated in each method's list. */
const commonErrors = ['InvalidParams', 'InternalError', 'ServerNotInitialized', 'MethodNotFound', 'InvalidRequest'];

const intro = (version) => `# The devmode protocol

Version ${version}.
This document is generated from the TypeScript declarations in \`protocol/src\` by \`build/generateProtocol.mjs\`; edit those and run \`npm run generate\`.
The same declarations produce \`protocol/metaModel.json\`, from which the plugins' Lua and Kotlin types are generated.

## Wire

- The server speaks JSON-RPC 2.0 over its stdin and stdout, framed exactly as the Language Server Protocol frames it: a \`Content-Length: N\\r\\n\` header, an empty line (\`\\r\\n\`), then N bytes of UTF-8 JSON.
  \`vscode-jsonrpc\`, Neovim's \`vim.lsp.rpc\` and lsp4j's \`Launcher\` speak this framing out of the box.
- stdout carries protocol messages only. Diagnostics go to stderr and, as \`window/logMessage\`, to the client: those whose \`type\` is at most the \`logLevel\` the client gave \`initialize\` (\`Info\` when absent). Events outside any request (a sync that lost its connection) come as \`window/showMessage\`.
- Params always travel by name, as a JSON object, never as a positional array: a request with an array as params is answered with \`InvalidParams\` (\`data.field\` is \`params\`) and is not run.
- Batches are not supported: a JSON array of messages is answered with a single \`InvalidRequest\` error whose \`id\` is \`null\`, as JSON-RPC answers a message it cannot take, and none of its messages is run. Send each request as its own message; the server answers them concurrently.
- Tracing: \`$/setTrace\` (or \`initialize\`'s \`trace\`) set to \`messages\` or \`verbose\` makes the server send a \`$/logTrace\` for every message it receives and sends (with the params when \`verbose\`); \`off\` stops it.
- Method names are \`concern/verb\` in lowerCamelCase (\`devMode/start\`); events the server sends are \`concern/didSomething\`.
  \`$/\` is used only for the standard \`$/progress\`, \`$/cancelRequest\`, \`$/setTrace\` and \`$/logTrace\`.
- Numbers marked \`integer\` are whole numbers; plain \`number\` may carry a fraction.

## Starting and stopping

The client sends \`initialize\` first and \`initialized\` once it has read the result; any other request before \`initialize\` fails with \`ServerNotInitialized\`.
To stop, the client sends \`shutdown\`, then \`exit\`; the server exits with code 0 after \`shutdown\` and 1 otherwise.
\`shutdown\` stops the local parts of every session (sync, port-forwards, terminals, log streams) but leaves DevMode in place in the cluster, so that a later server can pick the sessions up or \`devMode/reset\` them.

## Errors

A request that fails is answered with a JSON-RPC error \`{code, message, data}\`.
\`code\` is one of the named codes listed under [Error codes](#error-codes); devmode's own codes sit in -31999 … -31000, outside the ranges JSON-RPC (-32768 … -32000) and LSP (-32899 … -32800) reserve.
\`data\` is a [\`DevModeErrorData\`](#type-DevModeErrorData): \`hint\` tells the person what to do, \`retryable\` says whether trying again may help, and \`file\`, \`line\` and \`field\` locate bad input.
Expected outcomes are never reported as a success with a message on the side.
Any request may also fail with ${commonErrors.map((name) => `\`${name}\``).join(', ')}; the **Errors** line of each method lists only the codes specific to it.

## Progress

Long requests (their params include \`workDoneToken\`) report progress the LSP way.
When the client passes a \`workDoneToken\`, the server sends \`$/progress\` with that token: one \`begin\`, any number of \`report\`, then one \`end\`, the last before the response.
\`begin\` says \`cancellable: true\` only for work that honours cancellation (\`devMode/start\`, \`sync/resync\`).
For work no request carries a token for (today: the resync after the sync reconnects to the dev container, most often because the dev pod was replaced), the server asks the client for a progress indicator with \`window/workDoneProgress/create\` (only when the client declared the \`workDoneProgress\` capability), waits for the answer, then reports on that token.
The client may cancel it with \`window/workDoneProgress/cancel\`: a cancelled resync pauses the sync, and \`sync/resume\` resyncs.

## Cancellation

The client cancels a request with \`$/cancelRequest\` and the request's id.
The request is still answered: with the error \`RequestCancelled\`, or with its result when it had already finished.
Every long request honours cancellation and leaves the cluster consistent: a cancelled \`devMode/start\` restores the workload before it answers.

## The meta-model

\`protocol/metaModel.json\` holds \`version\`, \`requests\` and \`notifications\` (each with \`method\`, \`typeName\`, \`messageDirection\`, \`params\`, \`result\`, \`documentation\`, \`since\` and, for requests, \`errors\`), \`structures\`, \`enumerations\`, \`typeAliases\` and \`errorCodes\`.
A type is a JSON object told apart by \`kind\`: \`base\` (\`name\` is \`string\`, \`integer\`, \`decimal\`, \`boolean\`, \`null\`, \`any\` or \`object\`), \`reference\` (a named structure, enumeration or alias), \`array\` (\`element\`), \`map\` (\`key\`, \`value\`), \`or\` and \`and\` (\`items\`), \`stringLiteral\`, \`integerLiteral\` and \`booleanLiteral\` (\`value\`), and \`literal\` (an inline object whose \`value.properties\` are listed like a structure's).
A structure may name the structures it \`extends\` and may accept \`additionalProperties\` of a given type.
`;

/**
 * Returns the text of PROTOCOL.md for a model read by `readProtocol`.
 */
export function renderProtocolDoc({ model, declarations, files }) {
  const errorsByName = new Map(model.errorCodes.map((code) => [code.name, code]));
  for (const code of model.errorCodes) {
    const own = code.code >= -31999 && code.code <= -31000;
    const standard = code.code >= -32899 && code.code <= -32000;
    if (!own && !standard) throw new Error(`error code ${code.name} (${code.code}) is outside -31999 … -31000`);
  }
  // Each type is shown once: with the first method that uses it, or else in the closing Types section.
  const context = { model, declarations, errorsByName, anchored: new Set() };
  const messages = [
    ...model.requests.map((entry) => ({ entry, kind: 'request' })),
    ...model.notifications.map((entry) => ({ entry, kind: 'notification' })),
  ];
  // Sections follow index.ts's file order, and declaration order within a file.
  const ordered = files.flatMap((file) =>
    messages
      .filter(({ entry }) => entry.source.file === file)
      .sort((a, b) => a.entry.source.node.pos - b.entry.source.node.pos),
  );

  const out = [`<!-- Generated by build/generateProtocol.mjs from protocol/src: do not edit. -->`, ''];
  out.push(intro(model.version));
  out.push('## Methods', '');
  out.push('| Method | Kind | Direction | Summary |', '|---|---|---|---|');
  for (const { entry, kind } of ordered) {
    const summary = firstSentence(entry.documentation).replace(/\|/g, '\\|');
    out.push(
      `| [\`${entry.method}\`](#${methodAnchor(entry.method)}) | ${kind} | ${directions[entry.messageDirection]} | ${summary} |`,
    );
  }
  out.push('');

  for (const file of files) {
    const inFile = ordered.filter(({ entry }) => entry.source.file === file);
    if (inFile.length === 0) continue;
    out.push(`## ${concernTitles[file] ?? file.replace(/^protocol\.|\.ts$/g, '')}`, '');
    for (const { entry, kind } of inFile) out.push(...renderMessage(context, entry, kind));
  }

  out.push('## Error codes', '');
  out.push('| Name | Code | Meaning |', '|---|---|---|');
  for (const code of model.errorCodes) {
    out.push(
      `| <a id="error-${code.name}"></a>\`${code.name}\` | ${code.code} | ${oneLine(code.documentation).replace(/\|/g, '\\|')} |`,
    );
  }
  out.push('');

  out.push('## Types', '');
  out.push('The types not shown with a method above, in alphabetical order.', '');
  const types = [...model.structures, ...model.enumerations, ...model.typeAliases]
    .filter((type) => !context.anchored.has(type.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const type of types) {
    out.push(`### <a id="type-${type.name}"></a>\`${type.name}\``, '');
    out.push('```ts', declarationSource(declarations.get(type.name).node), '```', '');
    const uses = referencedNames(model, [type.name]).filter((name) => name !== type.name);
    if (uses.length > 0) out.push(`Uses ${uses.map(typeLink).join(', ')}.`, '');
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function renderMessage(context, entry, kind) {
  const { model, errorsByName } = context;
  const out = [`### <a id="${methodAnchor(entry.method)}"></a>\`${entry.method}\``, '', entry.documentation, ''];
  out.push(`**Method:** \`${entry.method}\` (\`${entry.typeName}\`)`, '');
  out.push(`**Direction:** ${directions[entry.messageDirection]} (${kind})`, '');
  out.push(...renderPart(context, 'Params', entry.params));
  if (kind === 'request') {
    out.push(...renderPart(context, 'Result', entry.result));
    const errors = entry.errors.map((name) => `[\`${name}\`](#error-${name}) (${errorsByName.get(name).code})`);
    out.push(`**Errors:** ${errors.length > 0 ? errors.join(', ') : 'only the common errors'}`, '');
  } else {
    out.push('**Errors:** none: a notification has no response', '');
  }
  out.push(...renderExample(model, entry, kind));
  out.push(`**Since:** ${entry.since}`, '');
  return out;
}

function renderPart(context, label, type) {
  const { model, declarations, anchored } = context;
  if (!type) return [`**${label}:** none`, ''];
  if (type.kind !== 'reference') return [`**${label}:** \`${typeText(type)}\``, ''];
  const shown = [type.name];
  // A union alias such as `A | B` is shown with its members, since the alias alone says little.
  const alias = model.typeAliases.find((candidate) => candidate.name === type.name);
  if (alias?.type.kind === 'or') {
    for (const item of alias.type.items) if (item.kind === 'reference') shown.push(item.name);
  }
  const anchors = shown.filter((name) => !anchored.has(name)).map((name) => `<a id="type-${name}"></a>`);
  for (const name of shown) anchored.add(name);
  const out = [`**${label}:** ${anchors.join('')}${typeLink(type.name)}`, '', '```ts'];
  out.push(shown.map((name) => declarationSource(declarations.get(name).node)).join('\n\n'), '```', '');
  const uses = referencedNames(model, shown).filter((name) => !shown.includes(name));
  if (uses.length > 0) out.push(`Uses ${uses.map(typeLink).join(', ')}.`, '');
  return out;
}

function renderExample(model, entry, kind) {
  const example = entry.source.example ?? {
    ...(entry.params ? { params: sampleValue(model, entry.params, 0) } : {}),
    ...(kind === 'request' ? { result: sampleValue(model, entry.result, 0) } : {}),
  };
  const note = entry.source.example ? '' : ' (generated from the declared types)';
  const message = { jsonrpc: '2.0', ...(kind === 'request' ? { id: 1 } : {}), method: entry.method };
  if ('params' in example) message.params = example.params;
  const out = [`**Example${note}:**`, ''];
  out.push(
    kind === 'request' ? 'Request:' : 'Notification:',
    '',
    '```json',
    JSON.stringify(message, null, 2),
    '```',
    '',
  );
  if (kind === 'request' && 'result' in example) {
    out.push(
      'Response:',
      '',
      '```json',
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: example.result }, null, 2),
      '```',
      '',
    );
  }
  return out;
}

/** A plausible value of a type, for methods whose declaration gives no `@example`. */
function sampleValue(model, type, depth) {
  switch (type.kind) {
    case 'base':
      return { string: 'string', integer: 1, decimal: 1.5, boolean: true, null: null, any: {}, object: {} }[type.name];
    case 'stringLiteral':
    case 'integerLiteral':
    case 'booleanLiteral':
      return type.value;
    case 'array':
      return depth > 4 ? [] : [sampleValue(model, type.element, depth + 1)];
    case 'map':
      return { key: sampleValue(model, type.value, depth + 1) };
    case 'or':
      return sampleValue(
        model,
        type.items.find((item) => !(item.kind === 'base' && item.name === 'null')) ?? type.items[0],
        depth,
      );
    case 'and':
      return Object.assign({}, ...type.items.map((item) => sampleValue(model, item, depth)));
    case 'literal':
      return sampleObject(model, type.value.properties, depth);
    case 'reference': {
      const alias = model.typeAliases.find((candidate) => candidate.name === type.name);
      if (alias) return sampleValue(model, alias.type, depth);
      const enumeration = model.enumerations.find((candidate) => candidate.name === type.name);
      if (enumeration) return enumeration.values[0].value;
      const structure = model.structures.find((candidate) => candidate.name === type.name);
      return sampleObject(model, allProperties(model, structure), depth);
    }
    default:
      throw new Error(`unknown type kind ${type.kind}`);
  }
}

function sampleObject(model, properties, depth) {
  const value = {};
  for (const property of properties) {
    if (!property.optional) value[property.name] = sampleValue(model, property.type, depth + 1);
  }
  return value;
}

/** The names of the declared types that the given declarations refer to, directly. */
function referencedNames(model, names) {
  const found = new Set();
  const visit = (type) => {
    if (!type) return;
    if (type.kind === 'reference') found.add(type.name);
    for (const child of [type.element, type.key, type.value?.kind ? type.value : undefined, ...(type.items ?? [])])
      visit(child);
    for (const property of type.kind === 'literal' ? type.value.properties : []) visit(property.type);
  };
  for (const name of names) {
    const structure = model.structures.find((candidate) => candidate.name === name);
    if (structure) {
      for (const parent of structure.extends ?? []) visit(parent);
      for (const property of structure.properties) visit(property.type);
      visit(structure.additionalProperties);
    }
    visit(model.typeAliases.find((candidate) => candidate.name === name)?.type);
  }
  return [...found].sort();
}

function typeText(type) {
  switch (type.kind) {
    case 'base':
      return type.name;
    case 'reference':
      return type.name;
    case 'array':
      return `${typeText(type.element)}[]`;
    case 'or':
      return type.items.map(typeText).join(' | ');
    default:
      return JSON.stringify(type);
  }
}

/** The declaration's source with its doc comment, without `export`, as a reader of protocol/src sees it. */
function declarationSource(node) {
  const sourceFile = node.getSourceFile();
  const doc = ts
    .getJSDocCommentsAndTags(node)
    .filter((candidate) => ts.isJSDoc(candidate))
    .at(-1);
  const start = doc ? doc.getStart(sourceFile) : node.getStart(sourceFile);
  return sourceFile.text.slice(start, node.getEnd()).replace(/^export /m, '');
}

function typeLink(name) {
  return `[\`${name}\`](#type-${name})`;
}

function methodAnchor(method) {
  return `method-${method.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

function oneLine(text) {
  return text.replace(/\s*\n\s*/g, ' ');
}

function firstSentence(text) {
  const flat = oneLine(text);
  const end = flat.search(/\.(\s|$)/);
  return end === -1 ? flat : flat.slice(0, end + 1);
}
