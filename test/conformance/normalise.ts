/**
 * What legitimately differs between two clusters answering the same requests: identities (uids), times,
 * resourceVersions, the random suffixes of generated names, server addresses and ports. Everything else in an
 * answer must be the same for a scenario to count as identical.
 */

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;
const SERVER = /\b(127\.0\.0\.1|localhost):\d+\b/g;
/** The suffix the API server appends to a generateName (five characters from its consonant-digit alphabet). */
const GENERATED_SUFFIX = /\b(kube-api-access)-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g;
/** `kubectl get` tables print ages such as `0s`, `12s`, `2m3s`. */
const AGE = /(?<=\s)(\d+d)?(\d+h)?(\d+m)?\d+s(?=\s|$)/gm;
const RESOURCE_VERSION_TEXT = /("?resourceVersion"?\s*[:=]\s*"?)\d+/g;

/** Replaces the volatile parts of a text (kubectl output, an error message). */
export function normaliseText(text: string): string {
  return text
    .replace(UUID, '<uid>')
    .replace(TIMESTAMP, '<time>')
    .replace(SERVER, '<server>')
    .replace(GENERATED_SUFFIX, '$1-<suffix>')
    .replace(RESOURCE_VERSION_TEXT, '$1<rv>')
    .replace(AGE, '<age>');
}

const VOLATILE_KEYS: Record<string, string> = {
  uid: '<uid>',
  resourceVersion: '<rv>',
  creationTimestamp: '<time>',
  deletionTimestamp: '<time>',
  time: '<time>',
  lastTransitionTime: '<time>',
  lastUpdateTime: '<time>',
  startTime: '<time>',
  firstTimestamp: '<time>',
  lastTimestamp: '<time>',
  eventTime: '<time>',
  'pod-template-hash': '<hash>',
  'controller-revision-hash': '<hash>',
};

/**
 * Normalises a JSON value: volatile members by name (a `creationTimestamp: null` stays null, it is part of the
 * answer), names made from a `generateName`, and the texts inside.
 */
export function normaliseJson(value: unknown): unknown {
  if (typeof value === 'string') return normaliseText(value);
  if (Array.isArray(value)) return value.map(normaliseJson);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  const generateName = typeof object.generateName === 'string' ? object.generateName : undefined;
  for (const [key, member] of Object.entries(object)) {
    const replacement = VOLATILE_KEYS[key];
    if (replacement !== undefined && member !== null && typeof member !== 'object') result[key] = replacement;
    else if (
      key === 'name' &&
      generateName !== undefined &&
      typeof member === 'string' &&
      member.startsWith(generateName)
    )
      result[key] = `${generateName}<suffix>`;
    else result[key] = normaliseJson(member);
  }
  return result;
}

/** Parses `text` as JSON when it is JSON, so a difference shows field by field; else normalises it as text. */
export function normaliseOutput(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return normaliseJson(JSON.parse(trimmed));
    } catch {
      // Not JSON after all (a table that starts with a bracket); compared as text.
    }
  }
  return normaliseText(text);
}
