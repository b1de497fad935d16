// Reads the protocol declarations in protocol/src and builds the meta-model: every request and notification, the
// types they use and the error codes. The TypeScript is parsed, not type-checked, so the generator stays fast and
// the declarations must follow the house pattern; anything else is reported as an error rather than guessed at.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A problem in the protocol sources, reported with its file and line. */
export class ProtocolSourceError extends Error {}

const baseTypes = {
  [ts.SyntaxKind.StringKeyword]: 'string',
  [ts.SyntaxKind.NumberKeyword]: 'decimal',
  [ts.SyntaxKind.BooleanKeyword]: 'boolean',
  [ts.SyntaxKind.UnknownKeyword]: 'any',
  [ts.SyntaxKind.AnyKeyword]: 'any',
  [ts.SyntaxKind.ObjectKeyword]: 'object',
  [ts.SyntaxKind.VoidKeyword]: 'null',
};

const messageClasses = {
  ProtocolRequestType: 'request',
  ProtocolNotificationType: 'notification',
};

/**
 * Parses every protocol file listed in `index.ts` of `srcDir` and returns the model the generators render.
 */
export function readProtocol(srcDir) {
  const files = listProtocolFiles(srcDir);
  const declarations = new Map();
  const messages = [];
  let errorCodes = [];
  let version;

  for (const file of files) {
    const sourceFile = ts.createSourceFile(
      file,
      readFileSync(path.join(srcDir, file), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    for (const statement of sourceFile.statements) {
      if (
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)
      ) {
        const name = statement.name.text;
        if (declarations.has(name)) fail(statement, `${name} is declared twice`);
        declarations.set(name, { node: statement, file });
      } else if (ts.isModuleDeclaration(statement) && statement.body && ts.isModuleBlock(statement.body)) {
        if (statement.name.text === 'DevModeErrorCodes') {
          errorCodes = readErrorCodes(statement);
        } else {
          const message = readMessage(statement, file);
          if (message) messages.push(message);
        }
      } else if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name) && declaration.name.text === 'protocolVersion') {
            if (!declaration.initializer || !ts.isStringLiteral(declaration.initializer)) {
              fail(declaration, 'protocolVersion must be a string literal');
            }
            version = declaration.initializer.text;
          }
        }
      }
    }
  }
  if (version === undefined) throw new ProtocolSourceError('no `protocolVersion` constant found in protocol/src');
  if (errorCodes.length === 0) throw new ProtocolSourceError('no `DevModeErrorCodes` namespace found in protocol/src');

  const builder = new TypeBuilder(declarations);
  const errorNames = new Set(errorCodes.map((code) => code.name));
  const requests = [];
  const notifications = [];
  for (const message of messages) {
    for (const name of message.errors) {
      if (!errorNames.has(name)) fail(message.node, `@errors of ${message.typeName} names unknown error code ${name}`);
    }
    const entry = {
      method: message.method,
      typeName: message.typeName,
      messageDirection: message.messageDirection,
      ...(message.paramsNode ? { params: builder.toType(message.paramsNode) } : {}),
      ...(message.kind === 'request' ? { result: builder.toType(message.resultNode) } : {}),
      documentation: message.documentation,
      since: message.since,
      ...(message.kind === 'request' ? { errors: message.errors } : {}),
    };
    Object.defineProperty(entry, 'source', { value: message, enumerable: false });
    (message.kind === 'request' ? requests : notifications).push(entry);
  }
  const methods = new Set();
  for (const entry of [...requests, ...notifications]) {
    if (methods.has(entry.method)) fail(entry.source.node, `method ${entry.method} is declared twice`);
    methods.add(entry.method);
  }

  // The error data is part of every error response, and the types of protocol.*.ts files are part of the
  // contract even when no message uses them yet (the dev config file format, for one).
  builder.require('DevModeErrorData');
  for (const [name, { file }] of declarations) {
    if (file !== 'messages.ts') builder.require(name);
  }

  const model = {
    version,
    requests,
    notifications,
    structures: builder.structures.sort(byName),
    enumerations: builder.enumerations.sort(byName),
    typeAliases: builder.typeAliases.sort(byName),
    errorCodes: errorCodes.map(({ name, code, documentation }) => ({ name, code, documentation })),
  };
  for (const message of messages) validateExample(model, message);
  return { model, declarations, files };
}

function byName(a, b) {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The protocol files in the order `index.ts` exports them; a file missing from the barrel is an error. */
function listProtocolFiles(srcDir) {
  const index = readFileSync(path.join(srcDir, 'index.ts'), 'utf8');
  const exported = [...index.matchAll(/^export \* from '\.\/(.+)\.js';$/gm)].map((match) => `${match[1]}.ts`);
  const onDisk = readdirSync(srcDir).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'index.ts',
  );
  for (const file of onDisk) {
    if (!exported.includes(file)) throw new ProtocolSourceError(`protocol/src/${file} is not exported from index.ts`);
  }
  return exported;
}

export function fail(node, message) {
  const sourceFile = node.getSourceFile();
  const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  throw new ProtocolSourceError(`protocol/src/${sourceFile.fileName}:${line + 1}: ${message}`);
}

/** The JSDoc of a declaration: its text and tags. A declaration without one is an error. */
export function readDoc(node, what) {
  const docs = ts.getJSDocCommentsAndTags(node).filter((doc) => ts.isJSDoc(doc));
  const doc = docs.at(-1);
  const text = doc ? (ts.getTextOfJSDocComment(doc.comment) ?? '').trim() : '';
  if (!text) fail(node, `${what} has no documentation comment`);
  const tags = new Map();
  for (const tag of doc.tags ?? []) tags.set(tag.tagName.text, (ts.getTextOfJSDocComment(tag.comment) ?? '').trim());
  return { text, tags };
}

function readErrorCodes(namespace) {
  const codes = [];
  for (const statement of namespace.body.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const name = declaration.name.getText();
      const code = evaluateInteger(declaration.initializer);
      if (code === undefined) fail(declaration, `error code ${name} must be an integer literal`);
      codes.push({ name, code, documentation: readDoc(declaration, `error code ${name}`).text });
    }
  }
  return codes;
}

function evaluateInteger(node) {
  if (!node) return undefined;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (
    ts.isPrefixUnaryExpression(node) &&
    node.operator === ts.SyntaxKind.MinusToken &&
    ts.isNumericLiteral(node.operand)
  ) {
    return -Number(node.operand.text);
  }
  return undefined;
}

/** Reads a `namespace X { method; messageDirection; type }` declaration, or returns undefined for other namespaces. */
function readMessage(namespace, file) {
  const consts = new Map();
  for (const statement of namespace.body.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name)) consts.set(declaration.name.text, declaration);
    }
  }
  const typeName = namespace.name.text;
  const present = ['method', 'messageDirection', 'type'].filter((name) => consts.has(name));
  if (present.length === 0) return undefined;
  if (present.length < 3) fail(namespace, `${typeName} must declare method, messageDirection and type together`);

  let methodNode = consts.get('method').initializer;
  while (methodNode && (ts.isAsExpression(methodNode) || ts.isParenthesizedExpression(methodNode)))
    methodNode = methodNode.expression;
  if (!methodNode || !ts.isStringLiteral(methodNode)) fail(namespace, `${typeName}.method must be a string literal`);

  const directionNode = consts.get('messageDirection').initializer;
  if (
    !directionNode ||
    !ts.isPropertyAccessExpression(directionNode) ||
    directionNode.expression.getText() !== 'MessageDirection'
  ) {
    fail(namespace, `${typeName}.messageDirection must be a MessageDirection member`);
  }

  const typeNode = consts.get('type').initializer;
  const kind = typeNode && ts.isNewExpression(typeNode) ? messageClasses[typeNode.expression.getText()] : undefined;
  if (!kind) fail(namespace, `${typeName}.type must be a new ProtocolRequestType or ProtocolNotificationType`);
  const typeArguments = typeNode.typeArguments ?? [];
  if (typeArguments.length !== (kind === 'request' ? 2 : 1))
    fail(typeNode, `${typeName}.type has the wrong number of type arguments`);
  const expectedSuffix = kind === 'request' ? 'Request' : 'Notification';
  if (!typeName.endsWith(expectedSuffix))
    fail(namespace, `${typeName} declares a ${kind}, so its name must end in ${expectedSuffix}`);

  const doc = readDoc(namespace, typeName);
  const since = doc.tags.get('since');
  if (!since) fail(namespace, `${typeName} has no @since tag`);
  if (kind === 'notification' && doc.tags.has('errors'))
    fail(namespace, `${typeName} is a notification, which has no errors`);
  const errors = (doc.tags.get('errors') ?? '').split(/[\s,]+/).filter((name) => name.length > 0);
  const paramsNode = typeArguments[0].kind === ts.SyntaxKind.VoidKeyword ? undefined : typeArguments[0];
  return {
    node: namespace,
    file,
    kind,
    typeName,
    method: methodNode.text,
    messageDirection: directionNode.name.text,
    paramsNode,
    resultNode: typeArguments[1],
    documentation: doc.text,
    since,
    errors,
    exampleText: doc.tags.get('example'),
  };
}

/** Turns TypeScript type nodes into the meta-model's JSON form and collects the declarations they reach. */
class TypeBuilder {
  constructor(declarations) {
    this.declarations = declarations;
    this.done = new Set();
    this.structures = [];
    this.enumerations = [];
    this.typeAliases = [];
  }

  require(name) {
    if (this.done.has(name)) return;
    this.done.add(name);
    const { node } = this.declarations.get(name);
    if (ts.isInterfaceDeclaration(node)) this.structures.push(this.toStructure(node));
    else if (ts.isEnumDeclaration(node)) this.enumerations.push(this.toEnumeration(node));
    else this.addAlias(node);
  }

  // A union of string literals is an enumeration, as in the LSP meta-model, so that generated bindings can
  // declare an enum type; any other alias stays an alias.
  addAlias(node) {
    const name = node.name.text;
    const type = this.toType(node.type);
    const documentation = readDoc(node, `type ${name}`).text;
    if (type.kind === 'or' && type.items.every((item) => item.kind === 'stringLiteral')) {
      const values = type.items.map((item) => ({ name: item.value, value: item.value }));
      this.enumerations.push({ name, type: { kind: 'base', name: 'string' }, values, documentation });
    } else {
      this.typeAliases.push({ name, type, documentation });
    }
  }

  toStructure(node) {
    const name = node.name.text;
    const structure = { name };
    const parents = (node.heritageClauses ?? []).flatMap((clause) => clause.types);
    if (parents.length > 0) {
      structure.extends = parents.map((parent) => {
        const parentName = parent.expression.getText();
        this.reference(parentName, parent);
        return { kind: 'reference', name: parentName };
      });
    }
    structure.properties = [];
    for (const member of node.members) {
      if (ts.isPropertySignature(member)) {
        structure.properties.push(this.toProperty(member, name));
      } else if (ts.isIndexSignatureDeclaration(member)) {
        structure.additionalProperties = this.toType(member.type);
      } else {
        fail(member, `${name} may declare properties only`);
      }
    }
    structure.documentation = readDoc(node, `interface ${name}`).text;
    return structure;
  }

  toProperty(member, owner) {
    const name = member.name.getText().replace(/^['"]|['"]$/g, '');
    if (!member.type) fail(member, `${owner}.${name} has no type`);
    return {
      name,
      type: this.toType(member.type),
      optional: member.questionToken !== undefined,
      documentation: readDoc(member, `${owner}.${name}`).text,
    };
  }

  toEnumeration(node) {
    const name = node.name.text;
    const values = node.members.map((member) => {
      const memberName = member.name.getText();
      const initializer = member.initializer;
      const value = initializer && ts.isStringLiteral(initializer) ? initializer.text : evaluateInteger(initializer);
      if (value === undefined) fail(member, `${name}.${memberName} needs an explicit string or integer value`);
      return { name: memberName, value, documentation: readDoc(member, `${name}.${memberName}`).text };
    });
    const kinds = new Set(values.map((value) => typeof value.value));
    if (kinds.size !== 1) fail(node, `${name} mixes string and integer values`);
    const baseName = kinds.has('string') ? 'string' : 'integer';
    return { name, type: { kind: 'base', name: baseName }, values, documentation: readDoc(node, `enum ${name}`).text };
  }

  reference(name, node) {
    if (!this.declarations.has(name)) fail(node, `unknown type ${name}: declare it in protocol/src`);
    this.require(name);
  }

  toType(node) {
    if (baseTypes[node.kind]) return { kind: 'base', name: baseTypes[node.kind] };
    if (ts.isParenthesizedTypeNode(node)) return this.toType(node.type);
    if (ts.isArrayTypeNode(node)) return { kind: 'array', element: this.toType(node.elementType) };
    if (ts.isUnionTypeNode(node)) return { kind: 'or', items: node.types.map((item) => this.toType(item)) };
    if (ts.isIntersectionTypeNode(node)) return { kind: 'and', items: node.types.map((item) => this.toType(item)) };
    if (ts.isLiteralTypeNode(node)) return literalType(node);
    if (ts.isTypeLiteralNode(node)) return this.toTypeLiteral(node);
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText();
      const args = node.typeArguments ?? [];
      if (name === 'integer') return { kind: 'base', name: 'integer' };
      if (name === 'Array' && args.length === 1) return { kind: 'array', element: this.toType(args[0]) };
      if (name === 'Record' && args.length === 2) {
        if (args[1].kind === ts.SyntaxKind.NeverKeyword) return { kind: 'literal', value: { properties: [] } };
        return { kind: 'map', key: this.toType(args[0]), value: this.toType(args[1]) };
      }
      if (args.length > 0) fail(node, `generic type ${name}<...> cannot be expressed in the meta-model`);
      this.reference(name, node);
      return { kind: 'reference', name };
    }
    fail(node, `type ${node.getText()} cannot be expressed in the meta-model`);
  }

  toTypeLiteral(node) {
    const indexes = node.members.filter((member) => ts.isIndexSignatureDeclaration(member));
    if (indexes.length === 1 && node.members.length === 1) {
      const [index] = indexes;
      return { kind: 'map', key: this.toType(index.parameters[0].type), value: this.toType(index.type) };
    }
    const properties = node.members.map((member) => {
      if (!ts.isPropertySignature(member)) fail(member, 'an inline object type may declare properties only');
      return this.toProperty(member, 'inline object');
    });
    return { kind: 'literal', value: { properties } };
  }
}

function literalType(node) {
  const literal = node.literal;
  if (literal.kind === ts.SyntaxKind.NullKeyword) return { kind: 'base', name: 'null' };
  if (ts.isStringLiteral(literal)) return { kind: 'stringLiteral', value: literal.text };
  if (literal.kind === ts.SyntaxKind.TrueKeyword) return { kind: 'booleanLiteral', value: true };
  if (literal.kind === ts.SyntaxKind.FalseKeyword) return { kind: 'booleanLiteral', value: false };
  const value = evaluateInteger(literal);
  if (value !== undefined) return { kind: 'integerLiteral', value };
  fail(node, `literal type ${node.getText()} cannot be expressed in the meta-model`);
}

/** Parses a message's `@example` tag, checks it against the declared types and keeps it for the documentation. */
function validateExample(model, message) {
  if (message.exampleText === undefined) return;
  let example;
  try {
    example = JSON.parse(message.exampleText);
  } catch (error) {
    fail(message.node, `@example of ${message.typeName} is not valid JSON: ${error.message}`);
  }
  const allowed = message.kind === 'request' ? ['params', 'result'] : ['params'];
  const keys = Object.keys(example ?? {});
  if (typeof example !== 'object' || example === null || keys.some((key) => !allowed.includes(key))) {
    fail(message.node, `@example of ${message.typeName} must be a JSON object with ${allowed.join(' and ')}`);
  }
  const entry = [...model.requests, ...model.notifications].find((candidate) => candidate.method === message.method);
  for (const key of allowed) {
    if (!(key in example)) continue;
    const type = entry[key];
    const problems = type ? checkValue(model, example[key], type, key) : [`${key}: the method has no ${key}`];
    if (problems.length > 0)
      fail(message.node, `@example of ${message.typeName} does not match its types: ${problems[0]}`);
  }
  message.example = example;
}

/** Returns the ways `value` does not fit `type` (empty when it fits). */
export function checkValue(model, value, type, at) {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  switch (type.kind) {
    case 'base': {
      const fits = {
        string: typeof value === 'string',
        integer: Number.isInteger(value),
        decimal: typeof value === 'number',
        boolean: typeof value === 'boolean',
        null: value === null,
        any: true,
        object: isObject,
      }[type.name];
      return fits ? [] : [`${at}: expected ${type.name}, got ${JSON.stringify(value)}`];
    }
    case 'stringLiteral':
    case 'integerLiteral':
    case 'booleanLiteral':
      return value === type.value
        ? []
        : [`${at}: expected ${JSON.stringify(type.value)}, got ${JSON.stringify(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: expected an array`];
      return value.flatMap((item, index) => checkValue(model, item, type.element, `${at}[${index}]`));
    case 'map':
      if (!isObject) return [`${at}: expected an object`];
      return Object.entries(value).flatMap(([key, item]) => checkValue(model, item, type.value, `${at}.${key}`));
    case 'or': {
      const attempts = type.items.map((item) => checkValue(model, value, item, at));
      return attempts.some((problems) => problems.length === 0) ? [] : attempts.flat();
    }
    case 'and':
      return type.items.flatMap((item) => checkValue(model, value, item, at));
    case 'literal':
      return checkProperties(model, value, type.value.properties, undefined, at);
    case 'reference':
      return checkReference(model, value, type.name, at);
    default:
      return [`${at}: unknown type kind ${type.kind}`];
  }
}

function checkReference(model, value, name, at) {
  const alias = model.typeAliases.find((candidate) => candidate.name === name);
  if (alias) return checkValue(model, value, alias.type, at);
  const enumeration = model.enumerations.find((candidate) => candidate.name === name);
  if (enumeration) {
    return enumeration.values.some((entry) => entry.value === value)
      ? []
      : [`${at}: ${JSON.stringify(value)} is not a ${name}`];
  }
  const structure = model.structures.find((candidate) => candidate.name === name);
  return checkProperties(model, value, allProperties(model, structure), structure.additionalProperties, at);
}

/** The properties of a structure including those it inherits. */
export function allProperties(model, structure) {
  const inherited = (structure.extends ?? []).flatMap((parent) =>
    allProperties(
      model,
      model.structures.find((candidate) => candidate.name === parent.name),
    ),
  );
  return [...inherited, ...structure.properties];
}

function checkProperties(model, value, properties, additional, at) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object`];
  const problems = [];
  for (const property of properties) {
    if (property.name in value)
      problems.push(...checkValue(model, value[property.name], property.type, `${at}.${property.name}`));
    else if (!property.optional) problems.push(`${at}.${property.name} is missing`);
  }
  for (const key of Object.keys(value)) {
    if (properties.some((property) => property.name === key)) continue;
    if (additional) problems.push(...checkValue(model, value[key], additional, `${at}.${key}`));
    else problems.push(`${at}.${key} is not a declared field`);
  }
  return problems;
}
