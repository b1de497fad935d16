/**
 * Label and field selectors, parsed as the API server parses the `labelSelector` and `fieldSelector` query
 * parameters. Bad syntax is a 400 BadRequest, as a real server answers.
 */
import { ApiError, type KubeObject } from './contracts.js';

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'gt' | 'lt'; key: string; value: number }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (object: KubeObject) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function badSelector(selector: string, why: string): ApiError {
  return new ApiError(400, 'BadRequest', `unable to parse requirement: invalid selector "${selector}": ${why}`);
}

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key)) throw badSelector(selector, `invalid label key "${key}"`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badSelector(selector, `invalid label value "${value}"`);
  return value;
}

type Token = {
  kind: 'end' | 'ident' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';
  text: string;
};

/** The tokens of a label selector, as the API server's lexer reads them. */
function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  const special = '=!(),><';
  let i = 0;
  while (i < selector.length) {
    const ch = selector[i] ?? '';
    if (/\s/.test(ch)) {
      i++;
    } else if (special.includes(ch)) {
      const two = selector.slice(i, i + 2);
      const text = two === '!=' || two === '==' ? two : ch;
      tokens.push({ kind: text as Token['kind'], text });
      i += text.length;
    } else {
      let j = i;
      while (j < selector.length && !/\s/.test(selector[j] ?? '') && !special.includes(selector[j] ?? '')) j++;
      const text = selector.slice(i, j);
      tokens.push({ kind: text === 'in' || text === 'notin' ? text : 'ident', text });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

/**
 * A label selector parsed as the API server's parser does it, token by token, so that a malformed selector gets
 * its error (`found 'web' expected: '('` for `tier in web`).
 */
function parseLabelRequirements(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  let position = 0;
  // Where a value is expected, `in` and `notin` are plain words.
  const peek = (): Token => {
    const token = tokens[position] ?? { kind: 'end', text: '' };
    return token.kind === 'in' || token.kind === 'notin' ? { kind: 'ident', text: token.text } : token;
  };
  const next = (asValue = true): Token => {
    const token = tokens[position] ?? { kind: 'end', text: '' };
    position++;
    return asValue && (token.kind === 'in' || token.kind === 'notin') ? { kind: 'ident', text: token.text } : token;
  };
  const fail = (message: string): ApiError => new ApiError(400, 'BadRequest', message);
  const requirement = (): LabelRequirement => {
    let token = next();
    let negated = false;
    if (token.kind === '!') {
      negated = true;
      token = next();
    }
    if (token.kind !== 'ident') throw fail(`unable to parse requirement: found '${token.text}', expected: identifier`);
    const key = checkKey(selector, token.text);
    const after = peek().kind;
    if (negated || after === 'end' || after === ',') return { op: negated ? 'notexists' : 'exists', key };
    const operator = next(false);
    switch (operator.kind) {
      case 'in':
      case 'notin': {
        const open = next();
        if (open.kind !== '(') throw fail(`unable to parse requirement: found '${open.text}' expected: '('`);
        const values: string[] = [];
        for (;;) {
          const item = next();
          if (item.kind === ')') break;
          if (item.kind === ',') continue;
          if (item.kind !== 'ident')
            throw fail(`unable to parse requirement: found '${item.text}', expected: ',', or identifier`);
          values.push(checkValue(selector, item.text));
          const then = peek();
          if (then.kind !== ',' && then.kind !== ')')
            throw fail(`unable to parse requirement: found '${then.text}', expected: ',' or ')'`);
        }
        return { op: operator.kind, key, values };
      }
      case '=':
      case '==':
      case '!=':
      case '>':
      case '<': {
        const ahead = peek();
        let value = '';
        if (ahead.kind !== 'end' && ahead.kind !== ',') {
          const token = next();
          if (token.kind !== 'ident')
            throw fail(`unable to parse requirement: found '${token.text}', expected: identifier`);
          value = token.text;
        }
        if (operator.kind === '>' || operator.kind === '<') {
          const number = Number(value);
          if (!Number.isInteger(number))
            throw badSelector(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
          return { op: operator.kind === '>' ? 'gt' : 'lt', key, value: number };
        }
        return { op: operator.kind === '!=' ? 'neq' : 'eq', key, value: checkValue(selector, value) };
      }
      default:
        throw fail(`unable to parse requirement: found '${operator.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  };
  const requirements: LabelRequirement[] = [];
  for (;;) {
    const ahead = peek();
    if (ahead.kind === 'end') return requirements;
    if (ahead.kind !== 'ident' && ahead.kind !== '!')
      throw fail(`found '${ahead.text}', expected: !, identifier, or 'end of string'`);
    requirements.push(requirement());
    const separator = next();
    if (separator.kind === 'end') return requirements;
    if (separator.kind !== ',') throw fail(`found '${separator.text}', expected: ',' or 'end of string'`);
    const following = peek();
    if (following.kind !== 'ident' && following.kind !== '!')
      throw fail(`found '${following.text}', expected: identifier after ','`);
  }
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
    case 'gt':
      return has && Number(value) > req.value;
    case 'lt':
      return has && Number(value) < req.value;
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** Parses a label selector (`a=b,c!=d,e in (f,g),h,!i`); an empty selector matches everything. */
export function parseLabelSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const requirements = parseLabelRequirements(selector);
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

/** The fields a kind can be selected by besides metadata.name and metadata.namespace (its field label conversion). */
const FIELD_LABELS: Record<string, string[]> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  nodes: ['spec.unschedulable'],
  replicationcontrollers: ['status.replicas'],
  'replicasets.apps': ['status.replicas'],
  'jobs.batch': ['status.successful'],
};

/** 400 for a field a kind cannot be selected by, worded as the kind's field label conversion words it. */
function checkFieldLabels(resource: string, selector: string | undefined): void {
  if (selector === undefined || selector.trim() === '') return;
  const extra = FIELD_LABELS[resource];
  for (const term of splitTerms(selector)) {
    const label = /^([^=!]*)/.exec(term)?.[1]?.trim() ?? '';
    if (label === 'metadata.name' || label === 'metadata.namespace' || extra?.includes(label)) continue;
    throw new ApiError(
      400,
      'BadRequest',
      extra === undefined
        ? `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`
        : `field label not supported: ${label}`,
    );
  }
}

/**
 * Both selectors of a list or watch request, combined. With `resource` (a store key), fields the kind cannot be
 * selected by are refused.
 */
export function parseSelectors(
  options: { labelSelector?: string; fieldSelector?: string } | undefined,
  resource?: string,
): Matcher {
  if (resource !== undefined) checkFieldLabels(resource, options?.fieldSelector);
  const labels = parseLabelSelector(options?.labelSelector);
  const fields = parseFieldSelector(options?.fieldSelector);
  return (object) => labels(object) && fields(object);
}
