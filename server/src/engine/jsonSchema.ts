/**
 * A small JSON Schema (draft 2020-12) validator for the subset the dev config schema uses, so that the schema
 * published to editors is exactly the one the server enforces.
 *
 * Supported keywords: `type` (a name or a list of names), `properties`, `additionalProperties` (false or a
 * schema), `propertyNames`, `required`, `items`, `enum`, `pattern`, `minimum`, `maximum`, `minItems`,
 * `maxItems`, `minLength`, `maxLength`, `maxProperties` and `oneOf`. Annotation keywords (`$schema`, `$id`,
 * `title`, `description`, `default`, `examples`) are ignored. Any other keyword is rejected when the schema is checked by `assertSupportedSchema`,
 * so the schema cannot silently promise more than is enforced.
 *
 * Errors carry the path of the offending value. Errors for an unknown property point at the key (`atKey`),
 * and errors for a missing required property carry the path of the missing property with `missing` set, so a
 * caller that knows source positions can point at the object holding it.
 *
 * A value over a size bound (`maxLength`, `maxItems`, `maxProperties`) gets that one error and is not looked into
 * further, so an oversized value costs one error rather than one per element.
 */
import { isJsonObject } from './objects.js';

export type SchemaTypeName = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  type?: SchemaTypeName | SchemaTypeName[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  maxProperties?: number;
  oneOf?: JsonSchema[];
}

export type SchemaPath = (string | number)[];

export interface SchemaError {
  /** Where the offending value is (for `missing`, the path the missing property would have). */
  path: SchemaPath;
  keyword: string;
  message: string;
  /** True when the error concerns a property name rather than its value. */
  atKey?: boolean;
  /** True when the property at `path` is required but absent. */
  missing?: boolean;
}

const annotationKeywords = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples']);
const validationKeywords = new Set([
  'type',
  'properties',
  'additionalProperties',
  'propertyNames',
  'required',
  'items',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'maxProperties',
  'oneOf',
]);

/** Throws when a schema uses a keyword this validator does not enforce. */
export function assertSupportedSchema(schema: JsonSchema, where = '#'): void {
  for (const [keyword, value] of Object.entries(schema)) {
    if (!annotationKeywords.has(keyword) && !validationKeywords.has(keyword)) {
      throw new Error(`Unsupported JSON Schema keyword "${keyword}" at ${where}`);
    }
    if (keyword === 'properties') {
      for (const [name, sub] of Object.entries(value as Record<string, JsonSchema>)) {
        assertSupportedSchema(sub, `${where}/properties/${name}`);
      }
    } else if (keyword === 'oneOf') {
      (value as JsonSchema[]).forEach((sub, index) => assertSupportedSchema(sub, `${where}/oneOf/${index}`));
    } else if ((keyword === 'items' || keyword === 'propertyNames') && isJsonObject(value)) {
      assertSupportedSchema(value, `${where}/${keyword}`);
    } else if (keyword === 'additionalProperties' && isJsonObject(value)) {
      assertSupportedSchema(value, `${where}/additionalProperties`);
    }
  }
}

/** Validates a JSON value; returns every error found, in document order as far as the value's key order allows. */
export function validateSchema(schema: JsonSchema, value: unknown, path: SchemaPath = []): SchemaError[] {
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => hasType(value, type))) {
      return [{ path, keyword: 'type', message: `must be ${alternatives(types.map(describeType))}` }];
    }
  }
  const errors: SchemaError[] = [];
  if (schema.enum !== undefined && !schema.enum.some((allowed) => allowed === value)) {
    errors.push({ path, keyword: 'enum', message: `must be one of ${schema.enum.map(show).join(', ')}` });
  }
  const oversized = sizeError(schema, value, path);
  if (oversized !== undefined) return [oversized];
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      errors.push({ path, keyword: 'minLength', message: `must not be empty` });
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push({ path, keyword: 'pattern', message: `${show(value)} ${patternHint(schema)}` });
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      errors.push({ path, keyword: 'minimum', message: `must be at least ${schema.minimum}` });
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      errors.push({ path, keyword: 'maximum', message: `must be at most ${schema.maximum}` });
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      const message = schema.minItems === 1 ? 'must not be empty' : `must have at least ${schema.minItems} items`;
      errors.push({ path, keyword: 'minItems', message });
    }
    if (schema.items !== undefined) {
      const items = schema.items;
      value.forEach((item, index) => errors.push(...validateSchema(items, item, [...path, index])));
    }
  }
  if (isJsonObject(value)) errors.push(...validateObject(schema, value, path));
  if (schema.oneOf !== undefined) errors.push(...validateOneOf(schema.oneOf, value, path));
  return errors;
}

/** The error of a value longer than its schema allows; counted in characters, items or entries. */
function sizeError(schema: JsonSchema, value: unknown, path: SchemaPath): SchemaError | undefined {
  if (typeof value === 'string' && schema.maxLength !== undefined && value.length > schema.maxLength) {
    const message = `must be at most ${schema.maxLength} characters long (it has ${value.length})`;
    return { path, keyword: 'maxLength', message };
  }
  if (Array.isArray(value) && schema.maxItems !== undefined && value.length > schema.maxItems) {
    return {
      path,
      keyword: 'maxItems',
      message: `must have at most ${schema.maxItems} items (it has ${value.length})`,
    };
  }
  if (isJsonObject(value) && schema.maxProperties !== undefined) {
    const count = Object.keys(value).length;
    if (count > schema.maxProperties) {
      return {
        path,
        keyword: 'maxProperties',
        message: `must have at most ${schema.maxProperties} entries (it has ${count})`,
      };
    }
  }
  return undefined;
}

function validateObject(schema: JsonSchema, value: Record<string, unknown>, path: SchemaPath): SchemaError[] {
  const errors: SchemaError[] = [];
  for (const name of schema.required ?? []) {
    if (value[name] === undefined) {
      errors.push({ path: [...path, name], keyword: 'required', message: 'is required', missing: true });
    }
  }
  for (const [name, child] of Object.entries(value)) {
    if (schema.propertyNames !== undefined) {
      const nameErrors = validateSchema(schema.propertyNames, name, [...path, name]);
      errors.push(...nameErrors.map((error) => ({ ...error, atKey: true, message: `name ${error.message}` })));
    }
    const declared = schema.properties?.[name];
    if (declared !== undefined) {
      errors.push(...validateSchema(declared, child, [...path, name]));
    } else if (schema.additionalProperties === false) {
      const suggestion = closestName(name, Object.keys(schema.properties ?? {}));
      const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
      errors.push({
        path: [...path, name],
        keyword: 'additionalProperties',
        message: `is not a known field${hint}`,
        atKey: true,
      });
    } else if (isJsonObject(schema.additionalProperties)) {
      errors.push(...validateSchema(schema.additionalProperties, child, [...path, name]));
    }
  }
  return errors;
}

/**
 * Reports a oneOf failure the way a person reads it. A branch whose type does not fit the value, or whose
 * `enum` on a direct property rejects the value, is not what the author meant; among the remaining branches the
 * first one's errors are reported. When no branch remains, the rejected types or values are merged into one message.
 */
function validateOneOf(branches: JsonSchema[], value: unknown, path: SchemaPath): SchemaError[] {
  const results = branches.map((branch) => validateSchema(branch, value, path));
  const passing = results.filter((errors) => errors.length === 0).length;
  if (passing === 1) return [];
  if (passing > 1) return [{ path, keyword: 'oneOf', message: 'matches more than one allowed shape' }];
  const isDiscriminating = (error: SchemaError): boolean =>
    (error.keyword === 'type' && error.path.length === path.length) ||
    (error.keyword === 'enum' && error.path.length === path.length + 1);
  const plausible = results.find((errors) => !errors.some(isDiscriminating));
  if (plausible !== undefined) return plausible;
  const discriminating = results.flatMap((errors) => errors.filter(isDiscriminating));
  const typeErrors = discriminating.filter((error) => error.keyword === 'type');
  if (typeErrors.length === results.length) {
    const names = branches.flatMap((branch) => (Array.isArray(branch.type) ? branch.type : [branch.type ?? 'value']));
    return [{ path, keyword: 'type', message: `must be ${alternatives([...new Set(names)].map(describeType))}` }];
  }
  const enumErrors = discriminating.filter((error) => error.keyword === 'enum');
  const first = enumErrors[0];
  if (first !== undefined && enumErrors.every((error) => samePath(error.path, first.path))) {
    const allowed = branches.flatMap((branch) => {
      const property = first.path[first.path.length - 1];
      return typeof property === 'string' ? (branch.properties?.[property]?.enum ?? []) : [];
    });
    return [{ path: first.path, keyword: 'enum', message: `must be one of ${allowed.map(show).join(', ')}` }];
  }
  return results[0] ?? [];
}

function hasType(value: unknown, type: SchemaTypeName): boolean {
  switch (type) {
    case 'object':
      return isJsonObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
  }
}

function describeType(type: string): string {
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  if (type === 'integer') return 'an integer';
  if (type === 'null') return 'null';
  return `a ${type}`;
}

/** `a`, `a or b`, `a, b or c`. */
function alternatives(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}`;
}

function patternHint(schema: JsonSchema): string {
  // The description says in words what the pattern demands; a raw regular expression helps nobody.
  return schema.description === undefined
    ? `does not match ${schema.pattern ?? ''}`
    : `is invalid: ${schema.description}`;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function samePath(a: SchemaPath, b: SchemaPath): boolean {
  return a.length === b.length && a.every((segment, index) => segment === b[index]);
}

/** The known name closest to a misspelt one, when it is close enough to be a likely typo. */
function closestName(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Edit distance counting an adjacent transposition as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const above = rows[i - 1] ?? [];
      let best = Math.min(
        (above[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (above[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}
