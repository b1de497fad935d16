// Generates the JetBrains core's protocol types and lsp4j service interfaces from protocol/metaModel.json.
//
//   node build/generateKotlinProtocol.mjs            writes plugins/jetbrains/core/src/main/kotlin/.../Protocol.kt
//   node build/generateKotlinProtocol.mjs --check    exits 1 when that file differs from what would be generated
//   --model <file>, --out <file>                     another meta-model or output file (for tests)
//
// The mapping keeps the wire format exact and the Kotlin usable:
// - structures become data classes (optional fields nullable, defaulting to null; `extends` is flattened);
// - enumerations become a typealias of their base type plus an object of constants, so a value added by a newer
//   server reads as itself instead of failing;
// - a union of structures becomes a sealed interface the structures implement, read back by ProtocolGson (which
//   picks the alternative by its string-literal fields, else by the required fields present);
// - integer|string becomes lsp4j's Either; T|null becomes T?; anything else without a Kotlin shape is a JsonElement.
// `$/cancelRequest` is left out of the interfaces: lsp4j sends and answers it itself (CompletableFuture.cancel).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modelFile = path.join(repoRoot, 'protocol/metaModel.json');
const outFile = path.join(repoRoot, 'plugins/jetbrains/core/src/main/kotlin/dev/devmode/core/protocol/Protocol.kt');
const packageName = 'dev.devmode.core.protocol';
const handledByLsp4j = new Set(['$/cancelRequest']);

const kotlinKeywords = new Set([
  'as',
  'break',
  'class',
  'continue',
  'do',
  'else',
  'false',
  'for',
  'fun',
  'if',
  'in',
  'interface',
  'is',
  'null',
  'object',
  'package',
  'return',
  'super',
  'this',
  'throw',
  'true',
  'try',
  'typealias',
  'typeof',
  'val',
  'var',
  'when',
  'while',
]);

class ModelError extends Error {}

function identifier(name) {
  return kotlinKeywords.has(name) ? `\`${name}\`` : name;
}

function constantName(value) {
  const words = String(value)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  const name = words.map((word, i) => (i === 0 ? word : word[0].toUpperCase() + word.slice(1))).join('');
  return /^[0-9]/.test(name) ? `v${name}` : identifier(name);
}

function doc(text, indent = '') {
  if (!text) return '';
  // Kotlin comments nest, so `sync/*` inside a comment would open another one.
  const lines = text.replace(/\*\//g, '*&#47;').replace(/\/\*/g, '/&#42;').split('\n');
  return `${indent}/**\n${lines.map((line) => `${indent} *${line ? ` ${line}` : ''}`).join('\n')}\n${indent} */\n`;
}

/** Interface or enum method name for a JSON-RPC method: `devMode/start` → `devModeStart`, `$/progress` → `progress`. */
function memberName(method) {
  const parts = method.replace(/^\$\//, '').split('/').filter(Boolean);
  return identifier(parts.map((part, i) => (i === 0 ? part : part[0].toUpperCase() + part.slice(1))).join(''));
}

function upperFirst(text) {
  return text[0].toUpperCase() + text.slice(1);
}

class KotlinModel {
  constructor(model) {
    this.model = model;
    this.structures = new Map(model.structures.map((s) => [s.name, s]));
    this.enumerations = new Map(model.enumerations.map((e) => [e.name, e]));
    this.aliases = new Map(model.typeAliases.map((a) => [a.name, a]));
    /** Sealed interface name → names of the structures it unites. */
    this.unions = new Map();
    /** Structure name → the sealed interfaces it implements. */
    this.implemented = new Map();
    for (const alias of model.typeAliases) {
      if (this.isStructureUnion(alias.type)) this.addUnion(alias.name, alias.type);
    }
    for (const structure of model.structures) {
      for (const property of structure.properties) {
        if (this.isStructureUnion(property.type)) {
          this.addUnion(`${structure.name}${upperFirst(property.name)}`, property.type);
        }
      }
    }
  }

  isStructureUnion(type) {
    return (
      type.kind === 'or' && type.items.every((item) => item.kind === 'reference' && this.structures.has(item.name))
    );
  }

  addUnion(name, type) {
    const members = type.items.map((item) => item.name);
    this.unions.set(name, members);
    for (const member of members) {
      if (!this.implemented.has(member)) this.implemented.set(member, []);
      this.implemented.get(member).push(name);
    }
  }

  /** All properties of a structure, its `extends` first. */
  properties(structure) {
    const inherited = (structure.extends ?? []).flatMap((parent) => {
      const base = this.structures.get(parent.name);
      if (!base) throw new ModelError(`${structure.name} extends unknown structure ${parent.name}`);
      return this.properties(base);
    });
    return [...inherited, ...structure.properties];
  }

  /** The Kotlin type of a wire type; `owner` names the inline unions of a property. */
  type(type, owner) {
    switch (type.kind) {
      case 'base':
        return this.baseType(type.name);
      case 'reference':
        if (this.structures.has(type.name) || this.enumerations.has(type.name) || this.aliases.has(type.name))
          return type.name;
        throw new ModelError(`unknown type ${type.name}`);
      case 'array':
        return `List<${this.type(type.element, owner)}>`;
      case 'map':
        return `Map<${this.type(type.key, owner)}, ${this.type(type.value, owner)}>`;
      case 'stringLiteral':
        return 'String';
      case 'or':
        return this.unionType(type, owner);
      case 'literal':
        return 'JsonElement';
      default:
        throw new ModelError(`type kind ${type.kind} has no Kotlin mapping`);
    }
  }

  baseType(name) {
    const types = {
      string: 'String',
      integer: 'Int',
      decimal: 'Double',
      boolean: 'Boolean',
      any: 'JsonElement',
      object: 'JsonObject',
      null: 'Void',
    };
    if (!(name in types)) throw new ModelError(`base type ${name} has no Kotlin mapping`);
    return types[name];
  }

  unionType(type, owner) {
    const items = type.items.filter((item) => !(item.kind === 'base' && item.name === 'null'));
    if (items.length < type.items.length) {
      // T|null: nullable T.
      const inner = items.length === 1 ? this.type(items[0], owner) : this.unionType({ kind: 'or', items }, owner);
      return inner.endsWith('?') ? inner : `${inner}?`;
    }
    if (items.every((item) => item.kind === 'stringLiteral')) return 'String';
    if (this.isStructureUnion(type)) {
      if (owner === undefined) throw new ModelError('a union of structures needs a name');
      return owner;
    }
    if (items.length === 2 && items.every((item) => item.kind === 'base')) {
      return `Either<${items.map((item) => this.baseType(item.name)).join(', ')}>`;
    }
    return 'JsonElement';
  }
}

function renderStructure(kotlin, structure) {
  const properties = kotlin.properties(structure);
  const interfaces = kotlin.implemented.get(structure.name) ?? [];
  const supertypes = interfaces.length > 0 ? ` : ${interfaces.join(', ')}` : '';
  let text = doc(structure.documentation);
  if (properties.length === 0) return `${text}class ${structure.name}${supertypes}\n`;
  text += `data class ${structure.name}(\n`;
  // Required fields first, so a caller can pass them positionally and name the optional ones.
  const ordered = [...properties.filter((p) => !p.optional), ...properties.filter((p) => p.optional)];
  for (const property of ordered) {
    text += doc(property.documentation, '    ');
    const type = kotlin.type(property.type, `${structure.name}${upperFirst(property.name)}`);
    const nullable = property.optional && !type.endsWith('?') ? `${type}?` : type;
    text += `    val ${identifier(property.name)}: ${nullable}${property.optional ? ' = null' : ''},\n`;
  }
  return `${text})${supertypes}\n`;
}

function renderEnumeration(kotlin, enumeration) {
  const base = kotlin.baseType(enumeration.type.name);
  let text = doc(enumeration.documentation);
  text += `typealias ${enumeration.name} = ${base}\n\n`;
  text += `/** The values of [${enumeration.name}] this protocol version declares. */\n`;
  text += `object ${enumeration.name}Values {\n`;
  for (const value of enumeration.values) {
    text += doc(value.documentation, '    ');
    const literal = base === 'String' ? JSON.stringify(value.value) : String(value.value);
    text += `    const val ${constantName(value.name)}: ${base} = ${literal}\n`;
  }
  text += `\n    /** Every value, in the order the protocol declares them. */\n`;
  text += `    val all: List<${base}> = listOf(${enumeration.values.map((v) => constantName(v.name)).join(', ')})\n`;
  return `${text}}\n`;
}

function renderAlias(kotlin, alias) {
  let text = doc(alias.documentation);
  if (kotlin.unions.has(alias.name)) return `${text}sealed interface ${alias.name}\n`;
  if (alias.type.kind === 'literal') {
    if (alias.type.value.properties.length > 0) {
      throw new ModelError(`type alias ${alias.name} declares an inline structure: declare it as an interface`);
    }
    return `${text}class ${alias.name}\n`;
  }
  return `${text}typealias ${alias.name} = ${kotlin.type(alias.type, alias.name)}\n`;
}

function renderInlineUnions(kotlin) {
  const aliasNames = new Set(kotlin.aliases.keys());
  return [...kotlin.unions.keys()]
    .filter((name) => !aliasNames.has(name))
    .map(
      (name) =>
        `/** Any of ${kotlin.unions
          .get(name)
          .map((m) => `[${m}]`)
          .join(', ')}. */\nsealed interface ${name}\n`,
    );
}

/** How ProtocolGson tells the alternatives of each union apart. */
function renderUnionTable(kotlin) {
  let text = '';
  for (const [union, members] of [...kotlin.unions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    text += `        ${union}::class.java to listOf(\n`;
    for (const member of members) {
      const properties = kotlin.properties(kotlin.structures.get(member));
      const literals = properties
        .filter((p) => p.type.kind === 'stringLiteral')
        .map((p) => `${JSON.stringify(p.name)} to ${JSON.stringify(p.type.value)}`);
      const required = properties.filter((p) => !p.optional).map((p) => JSON.stringify(p.name));
      text += `            UnionMember(${member}::class.java, mapOf(${literals.join(', ')}), setOf(${required.join(', ')})),\n`;
    }
    text += '        ),\n';
  }
  return text;
}

function paramsOf(kotlin, message) {
  if (!message.params) return '';
  return `params: ${kotlin.type(message.params, `${upperFirst(memberName(message.method))}Params`)}`;
}

function renderService(kotlin, name, documentation, direction) {
  const wanted = (message) =>
    (message.messageDirection === direction || message.messageDirection === 'both') &&
    !handledByLsp4j.has(message.method);
  let text = doc(documentation);
  text += `interface ${name} {\n`;
  const requests = kotlin.model.requests.filter(wanted);
  const notifications = kotlin.model.notifications.filter(wanted);
  for (const request of requests) {
    text += doc(request.documentation, '    ');
    const result = request.result
      ? kotlin.type(request.result, `${upperFirst(memberName(request.method))}Result`)
      : 'Void';
    text += `    @JsonRequest(${JSON.stringify(request.method)})\n`;
    text += `    fun ${memberName(request.method)}(${paramsOf(kotlin, request)}): CompletableFuture<${result.replace(/\?$/, '')}>\n\n`;
  }
  for (const notification of notifications) {
    text += doc(notification.documentation, '    ');
    text += `    @JsonNotification(${JSON.stringify(notification.method)})\n`;
    text += `    fun ${memberName(notification.method)}(${paramsOf(kotlin, notification)})\n\n`;
  }
  return `${text.trimEnd()}\n}\n`;
}

function renderErrorCodes(model) {
  let text = '/** The error codes a response can carry, by name. */\nobject DevModeErrorCodes {\n';
  for (const code of model.errorCodes) {
    text += doc(code.documentation, '    ');
    text += `    const val ${code.name}: Int = ${code.code}\n`;
  }
  return `${text}\n    /** The name of a code, for messages and logs. */\n    fun nameOf(code: Int): String? = when (code) {\n${model.errorCodes
    .map((code) => `        ${code.code} -> ${JSON.stringify(code.name)}`)
    .join('\n')}\n        else -> null\n    }\n}\n`;
}

export function renderKotlinProtocol(model) {
  const kotlin = new KotlinModel(model);
  const sections = [
    `// Generated from protocol/metaModel.json by build/generateKotlinProtocol.mjs: do not edit.
// Run \`npm run generate\` after changing protocol/src; \`npm run check:protocol\` fails while this file is stale.
@file:Suppress("unused", "ktlint")

package ${packageName}

import com.google.gson.Gson
import com.google.gson.GsonBuilder
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParseException
import com.google.gson.TypeAdapter
import com.google.gson.TypeAdapterFactory
import com.google.gson.reflect.TypeToken
import com.google.gson.stream.JsonReader
import com.google.gson.stream.JsonWriter
import java.util.concurrent.CompletableFuture
import org.eclipse.lsp4j.jsonrpc.messages.Either
import org.eclipse.lsp4j.jsonrpc.services.JsonNotification
import org.eclipse.lsp4j.jsonrpc.services.JsonRequest

/** The protocol version these types were generated from; \`initialize\` answers with the server's. */
const val PROTOCOL_VERSION: String = ${JSON.stringify(model.version)}
`,
    renderService(
      kotlin,
      'DevModeServerApi',
      'What the client calls on the server: every client-to-server request and notification.',
      'clientToServer',
    ),
    renderService(
      kotlin,
      'DevModeClientApi',
      'What the server calls on the client: every server-to-client request and notification.',
      'serverToClient',
    ),
    ...model.structures.map((s) => renderStructure(kotlin, s)),
    ...model.enumerations.map((e) => renderEnumeration(kotlin, e)),
    ...model.typeAliases.map((a) => renderAlias(kotlin, a)),
    ...renderInlineUnions(kotlin),
    renderErrorCodes(model),
    `/** One alternative of a union: its class, its string-literal fields and its required fields. */
class UnionMember(val type: Class<*>, val literals: Map<String, String>, val required: Set<String>)

/**
 * Gson support for the protocol's unions: writes an alternative as itself, and reads one back by its string-literal
 * fields (\`kind\` of the progress values) or, failing that, as the alternative whose required fields are all present
 * (the one with the most of them, so \`{namespace, kind, name}\` is a Target and \`{namespace, pod}\` a PodTarget).
 */
object ProtocolGson : TypeAdapterFactory {
    val unions: Map<Class<*>, List<UnionMember>> = mapOf(
${renderUnionTable(kotlin)}    )

    /** Registers the union adapters; pass it to lsp4j's \`Launcher.Builder.configureGson\`. */
    fun configure(builder: GsonBuilder): GsonBuilder = builder.registerTypeAdapterFactory(this)

    override fun <T : Any?> create(gson: Gson, type: TypeToken<T>): TypeAdapter<T>? {
        val members = unions[type.rawType] ?: return null
        val elements = gson.getAdapter(JsonElement::class.java)
        return object : TypeAdapter<T>() {
            override fun write(out: JsonWriter, value: T?) {
                if (value == null) out.nullValue() else elements.write(out, gson.toJsonTree(value, value.javaClass))
            }

            @Suppress("UNCHECKED_CAST")
            override fun read(reader: JsonReader): T? {
                val element = elements.read(reader)
                if (element == null || element.isJsonNull) return null
                if (!element.isJsonObject) throw JsonParseException("\${type.rawType.simpleName} must be an object, got $element")
                val json = element.asJsonObject
                val byLiteral = members.filter { it.literals.isNotEmpty() }.firstOrNull { member ->
                    member.literals.all { (name, literal) -> json.get(name)?.takeIf { it.isJsonPrimitive }?.asString == literal }
                }
                val member = byLiteral
                    ?: members.filter { m -> m.literals.isEmpty() && m.required.all { json.has(it) } }.maxByOrNull { it.required.size }
                    ?: throw JsonParseException("\${type.rawType.simpleName} matches none of \${members.map { it.type.simpleName }}: $json")
                return gson.fromJson(json, member.type) as T
            }
        }
    }
}
`,
  ];
  return sections.join('\n');
}

function parseArgs(argv) {
  const options = { check: false, model: modelFile, out: outFile };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') options.check = true;
    else if (arg === '--model' && argv[i + 1] !== undefined) options.model = path.resolve(argv[++i]);
    else if (arg === '--out' && argv[i + 1] !== undefined) options.out = path.resolve(argv[++i]);
    else
      throw new ModelError(
        `unknown argument ${JSON.stringify(arg)} (usage: generateKotlinProtocol.mjs [--check] [--model <metaModel.json>] [--out <Protocol.kt>])`,
      );
  }
  return options;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const text = renderKotlinProtocol(JSON.parse(readFileSync(options.model, 'utf8')));
  const relative = path.relative(repoRoot, options.out);
  if (options.check) {
    const onDisk = existsSync(options.out) ? readFileSync(options.out, 'utf8') : undefined;
    if (onDisk !== text) {
      process.stderr.write(`${relative} is ${onDisk === undefined ? 'missing' : 'stale'}: run npm run generate\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${relative} is up to date\n`);
  } else {
    mkdirSync(path.dirname(options.out), { recursive: true });
    writeFileSync(options.out, text);
    process.stdout.write(`generated ${relative}\n`);
  }
}

try {
  main();
} catch (error) {
  if (!(error instanceof ModelError)) throw error;
  process.stderr.write(`generateKotlinProtocol: ${error.message}\n`);
  process.exitCode = 1;
}
