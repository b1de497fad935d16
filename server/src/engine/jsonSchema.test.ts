import { describe, expect, it } from 'vitest';
import { assertSupportedSchema, type JsonSchema, validateSchema } from './jsonSchema.js';

const messages = (schema: JsonSchema, value: unknown) =>
  validateSchema(schema, value).map((error) => `${error.path.join('.')}: ${error.message}`);

describe('validateSchema', () => {
  it('bounds strings, lists and mappings with one error that does not look inside', () => {
    const schema: JsonSchema = { type: 'array', maxItems: 2, items: { type: 'string', maxLength: 3 } };
    expect(messages(schema, ['abc', 'de'])).toEqual([]);
    expect(messages(schema, ['abcd'])).toEqual(['0: must be at most 3 characters long (it has 4)']);
    expect(messages(schema, [1, 2, 3])).toEqual([': must have at most 2 items (it has 3)']);
    const mapping: JsonSchema = { type: 'object', maxProperties: 1, additionalProperties: { type: 'string' } };
    expect(messages(mapping, { a: 1, b: 2 })).toEqual([': must have at most 1 entries (it has 2)']);
    expect(messages(mapping, { a: 1 })).toEqual(['a: must be a string']);
  });

  it('checks type, including lists of types and integers', () => {
    expect(messages({ type: 'string' }, 1)).toEqual([': must be a string']);
    expect(messages({ type: ['string', 'integer'] }, 1.5)).toEqual([': must be a string or an integer']);
    expect(messages({ type: ['string', 'integer'] }, 2)).toEqual([]);
    expect(messages({ type: 'object' }, [])).toEqual([': must be a mapping']);
    expect(messages({ type: 'array' }, {})).toEqual([': must be a list']);
    expect(messages({ type: 'null' }, null)).toEqual([]);
  });

  it('checks properties, required and additionalProperties', () => {
    const schema: JsonSchema = {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, size: { type: 'integer', minimum: 1, maximum: 3 } },
    };
    expect(messages(schema, { name: 'a', size: 2 })).toEqual([]);
    expect(messages(schema, { size: 0, extra: true })).toEqual([
      'name: is required',
      'size: must be at least 1',
      'extra: is not a known field',
    ]);
    expect(messages(schema, { name: 'a', size: 4 })).toEqual(['size: must be at most 3']);
    expect(validateSchema(schema, { nam: 'a' }).map((error) => [error.atKey, error.missing])).toEqual([
      [undefined, true],
      [true, undefined],
    ]);
  });

  it('applies additionalProperties and propertyNames schemas to maps', () => {
    const schema: JsonSchema = {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[a-z]+$' },
      additionalProperties: { type: 'number' },
    };
    expect(messages(schema, { ok: 1, Bad: 2, fine: 'x' })).toEqual([
      'Bad: name "Bad" does not match ^[a-z]+$',
      'fine: must be a number',
    ]);
  });

  it('checks items, minItems, enum, pattern and minLength', () => {
    const schema: JsonSchema = {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1, pattern: '^/', description: 'an absolute path' },
    };
    expect(messages(schema, [])).toEqual([': must not be empty']);
    expect(messages({ type: ['string', 'number', 'boolean'] }, null)).toEqual([
      ': must be a string, a number or a boolean',
    ]);
    expect(messages(schema, ['/a', 'b', ''])).toEqual([
      '1: "b" is invalid: an absolute path',
      '2: must not be empty',
      '2: "" is invalid: an absolute path',
    ]);
    expect(messages({ enum: ['a', 'b'] }, 'c')).toEqual([': must be one of "a", "b"']);
  });

  it('reports the branch of a oneOf that the value was meant for', () => {
    const schema: JsonSchema = {
      oneOf: [
        { type: 'object', additionalProperties: { type: 'string' } },
        { type: 'array', items: { type: 'object', required: ['name'] } },
      ],
    };
    expect(messages(schema, { a: 'x' })).toEqual([]);
    expect(messages(schema, [{ name: 'x' }])).toEqual([]);
    expect(messages(schema, 'x')).toEqual([': must be a mapping or a list']);
    expect(messages(schema, [{}])).toEqual(['0.name: is required']);
    expect(messages(schema, { a: 1 })).toEqual(['a: must be a string']);
  });

  it('merges the discriminating values when no oneOf branch fits', () => {
    const schema: JsonSchema = {
      oneOf: [
        { type: 'object', properties: { kind: { enum: ['a'] } } },
        { type: 'object', properties: { kind: { enum: ['b', 'c'] } } },
      ],
    };
    expect(messages(schema, { kind: 'z' })).toEqual(['kind: must be one of "a", "b", "c"']);
  });

  it('refuses a value that matches two oneOf branches', () => {
    expect(messages({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 1)).toEqual([
      ': matches more than one allowed shape',
    ]);
  });
});

describe('assertSupportedSchema', () => {
  it('rejects keywords the validator would silently ignore', () => {
    expect(() => assertSupportedSchema({ properties: { a: { type: 'string', format: 'uri' } as JsonSchema } })).toThrow(
      'Unsupported JSON Schema keyword "format" at #/properties/a',
    );
  });
});
