/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the JSON form of the
 * object: the `k8s\0` magic, a runtime.Unknown envelope naming the kind, and the object's message, read with the
 * field numbers in protobufSchema.ts.
 */
import { ApiError } from '../contracts.js';
import { KEEP_EMPTY, MESSAGES, POINTER_FIELDS, type FieldSpec } from './protobufSchema.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function unsupported(why: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the protobuf request body cannot be read: ${why}; send it as application/json (for example with kubectl apply -f)`,
  );
}

/** A cursor over protobuf wire data. */
class Reader {
  private offset = 0;

  public constructor(private readonly bytes: Buffer) {}

  public get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  public varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.offset >= this.bytes.length) throw unsupported('truncated varint');
      const byte = this.bytes[this.offset++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw unsupported('varint too long');
    }
  }

  public bytesField(): Buffer {
    const length = Number(this.varint());
    if (this.offset + length > this.bytes.length) throw unsupported('truncated field');
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  public skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytesField();
    else if (wireType === 1) this.offset += 8;
    else if (wireType === 5) this.offset += 4;
    else throw unsupported(`wire type ${wireType}`);
  }
}

/** Go int32/int64 values travel as two's complement varints. */
function toInteger(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

function readFields(bytes: Buffer, visit: (field: number, wireType: number, reader: Reader) => void): void {
  const reader = new Reader(bytes);
  while (!reader.done) {
    const tag = Number(reader.varint());
    visit(tag >>> 3, tag & 7, reader);
  }
}

function decodeIntOrString(bytes: Buffer): Json {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) type = toInteger(reader.varint());
    else if (field === 2) intVal = toInteger(reader.varint());
    else if (field === 3) strVal = reader.bytesField().toString('utf8');
    else reader.skip(wireType);
  });
  return type === 1 ? strVal : intVal;
}

function decodeTime(bytes: Buffer): Json {
  let seconds = 0;
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) seconds = toInteger(reader.varint());
    else reader.skip(wireType);
  });
  return seconds === 0 ? null : new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function decodeQuantity(bytes: Buffer): Json {
  let value = '';
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) value = reader.bytesField().toString('utf8');
    else reader.skip(wireType);
  });
  return value;
}

function decodeMapEntry(bytes: Buffer, valueType: string): [string, Json] {
  let key = '';
  let value: Json = valueType === 'y' ? '' : '';
  readFields(bytes, (field, wireType, reader) => {
    if (field === 1) key = reader.bytesField().toString('utf8');
    else if (field === 2) {
      const raw = reader.bytesField();
      value =
        valueType === 'y' ? raw.toString('base64') : valueType === 'q' ? decodeQuantity(raw) : raw.toString('utf8');
    } else reader.skip(wireType);
  });
  return [key, value];
}

function decodeScalar(type: string, wireType: number, reader: Reader): Json {
  switch (type) {
    case 's':
      return reader.bytesField().toString('utf8');
    case 'y':
      return reader.bytesField().toString('base64');
    case 'i':
      return toInteger(reader.varint());
    case 'b':
      return reader.varint() !== 0n;
    case 'q':
      return decodeQuantity(reader.bytesField());
    case 'ios':
      return decodeIntOrString(reader.bytesField());
    case 't':
      return decodeTime(reader.bytesField());
    default:
      reader.skip(wireType);
      return null;
  }
}

function isZero(value: Json): boolean {
  if (value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** Decodes one message into its JSON object, dropping the zero values Go writes for unset fields. */
function decodeMessage(name: string, bytes: Buffer): { [key: string]: Json } {
  const fields = MESSAGES[name];
  if (fields === undefined) throw unsupported(`message ${name} is not known`);
  const byNumber = new Map<number, FieldSpec>(fields.map((f) => [f[0], f]));
  const result: { [key: string]: Json } = {};
  readFields(bytes, (number, wireType, reader) => {
    const spec = byNumber.get(number);
    if (spec === undefined) throw unsupported(`field ${number} of ${name} is not supported by the sandbox`);
    const [, jsonName, rawType, inline] = spec;
    const repeated = rawType.startsWith('[]');
    const type = repeated ? rawType.slice(2) : rawType;
    if (type === 'Ignored') {
      reader.skip(wireType);
      return;
    }
    let value: Json;
    if (type.startsWith('m:')) {
      const [key, entry] = decodeMapEntry(reader.bytesField(), type.slice(2));
      const map = (result[jsonName] ??= {}) as { [key: string]: Json };
      map[key] = entry;
      return;
    } else if (MESSAGES[type] !== undefined) {
      value = decodeMessage(type, reader.bytesField());
    } else if (repeated && type === 'i' && wireType === 2) {
      // A packed repeated integer field.
      const packed = new Reader(reader.bytesField());
      const list = (result[jsonName] ??= []) as Json[];
      while (!packed.done) list.push(toInteger(packed.varint()));
      return;
    } else {
      value = decodeScalar(type, wireType, reader);
    }
    if (inline === 'inline' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(result, value);
    } else if (repeated) {
      ((result[jsonName] ??= []) as Json[]).push(value);
    } else if (!isZero(value) || POINTER_FIELDS.has(jsonName) || (KEEP_EMPTY.has(jsonName) && value !== null)) {
      result[jsonName] = value;
    }
  });
  return result;
}

/** Decodes a `k8s\0`-prefixed protobuf body into a JSON object with apiVersion and kind. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw unsupported('the body does not start with the Kubernetes protobuf magic');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  readFields(body.subarray(MAGIC.length), (field, wireType, reader) => {
    if (field === 1) {
      readFields(reader.bytesField(), (metaField, metaWire, meta) => {
        if (metaField === 1) apiVersion = meta.bytesField().toString('utf8');
        else if (metaField === 2) kind = meta.bytesField().toString('utf8');
        else meta.skip(metaWire);
      });
    } else if (field === 2) raw = reader.bytesField();
    else reader.skip(wireType);
  });
  if (raw === undefined || kind === '') throw unsupported('the envelope carries no object');
  if (MESSAGES[kind] === undefined || MESSAGES[kind]?.[0]?.[1] !== 'metadata') {
    throw unsupported(`kind ${kind} is not supported in protobuf`);
  }
  return { apiVersion, kind, ...decodeMessage(kind, raw) };
}
