/**
 * The validation a real API server runs on writes, for the checks clients meet in practice, worded as it words
 * them: a 422 Invalid Status whose `details` carry the name, kind and one cause per field, so kubectl prints
 * `The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
import { isDeepStrictEqual } from 'node:util';
import { ApiError, type KubeObject, type ResourceInfo } from './contracts.js';
import { parseSelectors } from './selectors.js';

type Loose = any; // eslint-disable-line @typescript-eslint/no-explicit-any

type FieldErrorType = 'Required' | 'Invalid' | 'Duplicate' | 'Forbidden' | 'NotSupported';

const TYPE_TEXT: Record<FieldErrorType, string> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  Duplicate: 'Duplicate value',
  Forbidden: 'Forbidden',
  NotSupported: 'Unsupported value',
};

const CAUSE: Record<FieldErrorType, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Duplicate: 'FieldValueDuplicate',
  Forbidden: 'FieldValueForbidden',
  NotSupported: 'FieldValueNotSupported',
};

/** One field's error, as `field.Error` in the API server. */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  /** The value already printed as Go prints it (a struct). */
  rawValue?: string;
  detail?: string;
}

/** A Go `%#v` rendering of the values validation quotes: numbers, strings, string maps. */
function goValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.every(([, v]) => typeof v === 'string'))
      return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** The error without its field: `Invalid value: -1: must be greater than or equal to 0`. */
function errorBody(error: FieldError): string {
  let text = TYPE_TEXT[error.type];
  if (error.type === 'Invalid' || error.type === 'Duplicate' || error.type === 'NotSupported')
    text += `: ${error.rawValue ?? goValue(error.value)}`;
  if (error.detail !== undefined && error.detail !== '') text += `: ${error.detail}`;
  return text;
}

/** The 422 Invalid error for `errors` on the object `name` of `resource`. */
export function invalidError(
  resource: Pick<ResourceInfo, 'group' | 'kind'>,
  name: string,
  errors: FieldError[],
): ApiError {
  const qualified = resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`;
  const messages = [...new Set(errors.map((error) => `${error.field}: ${errorBody(error)}`))];
  const summary = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualified} ${JSON.stringify(name)} is invalid: ${summary}`, {
    ...(name !== '' ? { name } : {}),
    ...(resource.group !== '' ? { group: resource.group } : {}),
    kind: resource.kind,
    causes: errors.map((error) => ({ reason: CAUSE[error.type], message: errorBody(error), field: error.field })),
  });
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const SUBDOMAIN_TEXT =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_TEXT =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_TEXT =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/** The naming rule of each kind: namespaces are DNS labels, services DNS-1035 labels, the rest subdomains. */
function nameErrors(resource: ResourceInfo, name: string, field: string): FieldError[] {
  if (resource.key === 'namespaces' || resource.key === 'services') {
    const [pattern, text] = resource.key === 'services' ? [DNS1035_LABEL, DNS1035_TEXT] : [DNS1123_LABEL, LABEL_TEXT];
    const errors: FieldError[] = [];
    if (name.length > 63)
      errors.push({ type: 'Invalid', field, value: name, detail: 'must be no more than 63 characters' });
    if (!pattern.test(name)) errors.push({ type: 'Invalid', field, value: name, detail: text });
    return errors;
  }
  const errors: FieldError[] = [];
  if (name.length > 253)
    errors.push({ type: 'Invalid', field, value: name, detail: 'must be no more than 253 characters' });
  if (!DNS1123_SUBDOMAIN.test(name)) errors.push({ type: 'Invalid', field, value: name, detail: SUBDOMAIN_TEXT });
  return errors;
}

/** `metadata.name` on create: required (unless generated) and well formed. */
export function validateName(resource: ResourceInfo, name: string): void {
  if (!name) {
    throw invalidError(resource, '', [
      { type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' },
    ]);
  }
  const errors = nameErrors(resource, name, 'metadata.name');
  if (errors.length > 0) throw invalidError(resource, name, errors);
}

function podSpecErrors(spec: Loose, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (spec === null || typeof spec !== 'object') return errors;
  const names = new Set<string>();
  for (const list of ['initContainers', 'containers']) {
    const containers = Array.isArray(spec[list]) ? spec[list] : [];
    if (list === 'containers' && containers.length === 0)
      errors.push({ type: 'Required', field: `${path}.containers` });
    containers.forEach((container, index) => {
      const at = `${path}.${list}[${index}]`;
      const name = typeof container?.name === 'string' ? container.name : '';
      if (name === '') errors.push({ type: 'Required', field: `${at}.name` });
      else if (name.length > 63 || !DNS1123_LABEL.test(name))
        errors.push({ type: 'Invalid', field: `${at}.name`, value: name, detail: LABEL_TEXT });
      if (typeof container?.image !== 'string' || container.image === '')
        errors.push({ type: 'Required', field: `${at}.image` });
      if (name !== '') {
        if (names.has(name)) errors.push({ type: 'Duplicate', field: `${at}.name`, value: name });
        else names.add(name);
      }
    });
  }
  return errors;
}

function nonNegative(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value < 0
    ? [{ type: 'Invalid', field, value, detail: 'must be greater than or equal to 0' }]
    : [];
}

/** A workload's selector and template, as the apps and batch validations check them. */
function templateErrors(spec: Loose, resource: string): FieldError[] {
  const errors: FieldError[] = [];
  const template = spec?.template;
  const selector = spec?.selector;
  const labels: Record<string, string> = template?.metadata?.labels ?? {};
  const needsSelector = resource !== 'jobs.batch';
  if (needsSelector && (selector === undefined || selector === null)) {
    errors.push({ type: 'Required', field: 'spec.selector' });
  } else if (selector !== undefined && selector !== null) {
    const matchLabels = selector.matchLabels ?? {};
    const expressions = selector.matchExpressions ?? [];
    const empty = Object.keys(matchLabels).length + expressions.length === 0;
    if (empty && resource === 'deployments.apps') {
      errors.push({
        type: 'Invalid',
        field: 'spec.selector',
        value: selector,
        detail: 'empty selector is invalid for deployment',
      });
    }
    if (!empty && !selectorMatches(selector, labels)) {
      errors.push({
        type: 'Invalid',
        field: 'spec.template.metadata.labels',
        value: labels,
        detail: '`selector` does not match template `labels`',
      });
    }
  }
  errors.push(...podSpecErrors(template?.spec, 'spec.template.spec'));
  const restartPolicy = template?.spec?.restartPolicy;
  if (resource !== 'jobs.batch' && restartPolicy !== undefined && restartPolicy !== 'Always') {
    errors.push({
      type: 'NotSupported',
      field: 'spec.template.spec.restartPolicy',
      value: restartPolicy,
      detail: 'supported values: "Always"',
    });
  }
  return errors;
}

function selectorMatches(selector: Loose, labels: Record<string, string>): boolean {
  const parts: string[] = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  for (const expression of (selector.matchExpressions ?? []) as Loose[]) {
    const values = ((expression.values ?? []) as string[]).join(',');
    if (expression.operator === 'In') parts.push(`${expression.key} in (${values})`);
    else if (expression.operator === 'NotIn') parts.push(`${expression.key} notin (${values})`);
    else if (expression.operator === 'Exists') parts.push(String(expression.key));
    else if (expression.operator === 'DoesNotExist') parts.push(`!${expression.key}`);
  }
  try {
    return parseSelectors({ labelSelector: parts.join(',') })({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: '', labels },
    });
  } catch {
    return false;
  }
}

/** The fields of a Pod's spec that may change after creation (`ValidatePodUpdate`). */
function podUpdateErrors(next: KubeObject, existing: KubeObject): FieldError[] {
  const mutable = (spec: Loose): Loose => {
    const copy = structuredClone(spec ?? {});
    for (const list of ['containers', 'initContainers'])
      for (const container of (copy[list] ?? []) as Loose[]) delete container.image;
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.terminationGracePeriodSeconds;
    // The node a pod is bound to is set through the binding, which the scheduler (here the kubelet) owns.
    delete copy.nodeName;
    return copy;
  };
  if (isDeepStrictEqual(mutable(next.spec), mutable(existing.spec))) return [];
  return [
    {
      type: 'Forbidden',
      field: 'spec',
      detail:
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    },
  ];
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_TEXT =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_TEXT =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** The messages of `IsQualifiedName`: a label or annotation key, `[prefix/]name`. */
function qualifiedNameMessages(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2)
    return [
      `a qualified name ${QUALIFIED_NAME_TEXT} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  const messages: string[] = [];
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') messages.push('prefix part must be non-empty');
    else if (!DNS1123_SUBDOMAIN.test(prefix)) messages.push(`prefix part ${SUBDOMAIN_TEXT}`);
  }
  if (name === '') messages.push('name part must be non-empty');
  else if (name.length > 63) messages.push('name part must be no more than 63 characters');
  if (name !== '' && !QUALIFIED_NAME.test(name)) messages.push(`name part ${QUALIFIED_NAME_TEXT}`);
  return messages;
}

/** Label keys and values, annotation keys (`ValidateObjectMeta`). */
function metadataErrors(object: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const labels = object.metadata.labels ?? {};
  for (const [key, value] of Object.entries(labels)) {
    for (const message of qualifiedNameMessages(key))
      errors.push({ type: 'Invalid', field: 'metadata.labels', value: key, detail: message });
    if (typeof value === 'string' && value.length > 63)
      errors.push({ type: 'Invalid', field: 'metadata.labels', value, detail: 'must be no more than 63 characters' });
    if (typeof value === 'string' && !LABEL_VALUE.test(value))
      errors.push({ type: 'Invalid', field: 'metadata.labels', value, detail: LABEL_VALUE_TEXT });
  }
  for (const key of Object.keys(object.metadata.annotations ?? {})) {
    for (const message of qualifiedNameMessages(key.toLowerCase()))
      errors.push({ type: 'Invalid', field: 'metadata.annotations', value: key, detail: message });
  }
  return errors;
}

/** A LabelSelector as Go's `%#v` prints it in an immutability error. */
function goLabelSelector(selector: Loose): string {
  const labels = selector?.matchLabels;
  const matchLabels = labels && Object.keys(labels).length > 0 ? goValue(labels) : 'map[string]string(nil)';
  const expressions = (selector?.matchExpressions ?? []) as Loose[];
  const matchExpressions =
    expressions.length === 0
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${expressions
          .map(
            (e) =>
              `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key)}, Operator:${JSON.stringify(e.operator)}, Values:${
                Array.isArray(e.values)
                  ? `[]string{${(e.values as string[]).map((v) => JSON.stringify(v)).join(', ')}}`
                  : '[]string(nil)'
              }}`,
          )
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${matchLabels}, MatchExpressions:${matchExpressions}}`;
}

/** Validates a create (`existing` undefined) or an update of `object`; throws 422 Invalid as a real server does. */
export function validateObject(resource: ResourceInfo, object: KubeObject, existing?: KubeObject): void {
  const spec: Loose = object.spec;
  const errors: FieldError[] = metadataErrors(object);
  switch (resource.key) {
    case 'pods':
      errors.push(...podSpecErrors(spec, 'spec'));
      if (existing !== undefined && errors.length === 0) errors.push(...podUpdateErrors(object, existing));
      break;
    case 'deployments.apps':
    case 'replicasets.apps':
    case 'statefulsets.apps':
      errors.push(...nonNegative(spec?.replicas, 'spec.replicas'), ...templateErrors(spec, resource.key));
      break;
    case 'daemonsets.apps':
    case 'jobs.batch':
      errors.push(...templateErrors(spec, resource.key));
      break;
  }
  // In apps/v1 a workload's selector is fixed at creation.
  const before: Loose = existing?.spec?.selector;
  if (existing !== undefined && resource.group === 'apps' && !isDeepStrictEqual(spec?.selector, before)) {
    errors.push({
      type: 'Invalid',
      field: 'spec.selector',
      rawValue: goLabelSelector(spec?.selector),
      detail: 'field is immutable',
    });
  }
  if (errors.length > 0) throw invalidError(resource, object.metadata.name, errors);
}
