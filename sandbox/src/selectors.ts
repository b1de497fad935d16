/**
 * Label and field selectors, parsed as the API server parses the `labelSelector` and `fieldSelector` query
 * parameters. Bad syntax is a 400 BadRequest, as a real server answers.
 */
import { ApiError, type KubeObject } from './contracts.js';

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (object: KubeObject) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function badSelector(selector: string, why: string): ApiError {
  return new ApiError(400, 'BadRequest', `unable to parse requirement: invalid selector "${selector}": ${why}`);
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() !== '' || terms.length > 0) terms.push(current.trim());
  return terms;
}

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key)) throw badSelector(selector, `invalid label key "${key}"`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badSelector(selector, `invalid label value "${value}"`);
  return value;
}

function parseLabelTerm(selector: string, term: string): LabelRequirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (setMatch) {
    const values = (setMatch[3] ?? '').split(',').map((v) => checkValue(selector, v.trim()));
    return { op: setMatch[2] === 'in' ? 'in' : 'notin', key: checkKey(selector, setMatch[1] ?? ''), values };
  }
  const opMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (opMatch) {
    const key = checkKey(selector, opMatch[1] ?? '');
    const value = checkValue(selector, (opMatch[3] ?? '').trim());
    return { op: opMatch[2] === '!=' ? 'neq' : 'eq', key, value };
  }
  if (term.startsWith('!')) return { op: 'notexists', key: checkKey(selector, term.slice(1).trim()) };
  if (term === '') throw badSelector(selector, 'empty requirement');
  return { op: 'exists', key: checkKey(selector, term) };
}

function matchesLabel(labels: Record<string, string>, req: LabelRequirement): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'eq':
      return has && value === req.value;
    case 'neq':
      return !has || value !== req.value;
    case 'in':
      return has && req.values.includes(value ?? '');
    case 'notin':
      return !has || !req.values.includes(value ?? '');
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** Parses a label selector (`a=b,c!=d,e in (f,g),h,!i`); an empty selector matches everything. */
export function parseLabelSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const requirements = splitTerms(selector).map((term) => parseLabelTerm(selector, term));
  return (object) => {
    const labels = object.metadata.labels ?? {};
    return requirements.every((req) => matchesLabel(labels, req));
  };
}

/** A field's value as a string, following a dotted path (`metadata.name`, `spec.nodeName`). */
function fieldValue(object: KubeObject, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : JSON.stringify(current);
}

/**
 * Parses a field selector (`metadata.name=x,status.phase!=Running`). Any dotted path is accepted, which covers
 * the fields real servers index (metadata.name, metadata.namespace, spec.nodeName, status.phase,
 * involvedObject.*) without listing them per kind.
 */
export function parseFieldSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const requirements = splitTerms(selector).map((term) => {
    const match = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw new ApiError(400, 'BadRequest', `invalid field selector: "${term}": expected field=value`);
    return { path: match[1] ?? '', negate: match[2] === '!=', value: (match[3] ?? '').trim() };
  });
  return (object) => requirements.every((req) => (fieldValue(object, req.path) === req.value) !== req.negate);
}

/** Both selectors of a list or watch request, combined. */
export function parseSelectors(options: { labelSelector?: string; fieldSelector?: string } | undefined): Matcher {
  const labels = parseLabelSelector(options?.labelSelector);
  const fields = parseFieldSelector(options?.fieldSelector);
  return (object) => labels(object) && fields(object);
}
