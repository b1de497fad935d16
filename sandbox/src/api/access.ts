/**
 * `kubectl auth can-i`: the administrator may do everything; the `developer` user's self access reviews are
 * evaluated against the stored RBAC objects (when the review comes as JSON; kubectl's protobuf reviews of the
 * developer are answered as not allowed, with that reason).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, type Store } from '../contracts.js';
import { resourceByKey } from '../resources.js';
import { sendJson } from './http.js';
import { ADMIN_USER, authorize, rulesFor } from './rbac.js';

export const ACCESS_REVIEWS = new Set([
  'selfsubjectaccessreviews',
  'selfsubjectrulesreviews',
  'subjectaccessreviews',
  'localsubjectaccessreviews',
]);

/** `kubectl auth whoami`: the user the request's token belongs to. */
export function reviewSelf(res: ServerResponse, user: string): void {
  sendJson(res, 201, {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    status: {
      userInfo: {
        username: user,
        groups: [...(user === ADMIN_USER ? ['system:masters'] : []), 'system:authenticated'],
      },
    },
  });
}

/** Answers a review; the request body (often protobuf from kubectl) does not change the answer. */
export async function reviewAccess(
  req: IncomingMessage,
  res: ServerResponse,
  review: string,
  user: string = ADMIN_USER,
  store?: Store,
): Promise<void> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString('latin1');
  let spec: unknown = {};
  try {
    spec = (JSON.parse(text) as { spec?: unknown }).spec ?? {};
  } catch {
    // A protobuf body: the spec is not needed for the answer.
  }
  const allowed = 'the sandbox grants every request made with its token';
  // Reviews for another user name that user in the spec; self reviews are about the caller.
  const subject = review.endsWith('subjectaccessreviews') && !review.startsWith('self') ? subjectOf(spec) : user;
  const status = review.endsWith('subjectaccessreviews')
    ? subject === ADMIN_USER || store === undefined
      ? { allowed: true, reason: allowed }
      : evaluate(store, subject, spec)
    : rulesReview(store, user, spec);
  sendJson(res, 201, {
    kind: REVIEW_KINDS[review],
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status,
  });
}

/**
 * What `kubectl auth can-i --list` shows: the rules every authenticated user has on a real server (the
 * system:basic-user, system:discovery and system:public-info-viewer roles), the administrator's wildcard, and
 * for the developer the rules stored RBAC objects grant in the namespace asked about.
 */
function rulesReview(store: Store | undefined, user: string, spec: unknown): Record<string, unknown> {
  const namespace = (spec as { namespace?: unknown }).namespace;
  const granted =
    user === ADMIN_USER
      ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]
      : store === undefined
        ? []
        : rulesFor(store, user, typeof namespace === 'string' && namespace !== '' ? namespace : undefined);
  return {
    resourceRules: [
      ...granted,
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
    ],
    nonResourceRules: [
      ...(user === ADMIN_USER ? [{ verbs: ['*'], nonResourceURLs: ['*'] }] : []),
      {
        verbs: ['get'],
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      },
      { verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] },
    ],
    incomplete: false,
  };
}

const REVIEW_KINDS: Record<string, string> = {
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
  subjectaccessreviews: 'SubjectAccessReview',
  localsubjectaccessreviews: 'LocalSubjectAccessReview',
};

function subjectOf(spec: unknown): string {
  const user = (spec as { user?: unknown }).user;
  return typeof user === 'string' ? user : '';
}

function evaluate(store: Store, user: string, spec: unknown): { allowed: boolean; reason?: string } {
  const attributes = (spec as { resourceAttributes?: Record<string, string> }).resourceAttributes;
  if (attributes === undefined)
    return { allowed: false, reason: 'only resource attributes sent as JSON are evaluated' };
  const group = attributes.group ?? '';
  const resource = resourceByKey(group === '' ? (attributes.resource ?? '') : `${attributes.resource ?? ''}.${group}`);
  if (resource === undefined) return { allowed: false, reason: 'unknown resource' };
  try {
    authorize(store, user, {
      verb: attributes.verb ?? 'get',
      resource,
      ...(attributes.subresource ? { subresource: attributes.subresource } : {}),
      ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
      ...(attributes.name ? { name: attributes.name } : {}),
    });
    return { allowed: true };
  } catch (error) {
    if (error instanceof ApiError) return { allowed: false, reason: error.message };
    throw error;
  }
}
