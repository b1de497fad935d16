/**
 * `kubectl auth can-i`: the sandbox has one user, the holder of its token, who may do everything. Self access
 * and rules reviews say so instead of answering 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http.js';

export const ACCESS_REVIEWS = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

/** Answers a review; the request body (often protobuf from kubectl) does not change the answer. */
export async function reviewAccess(req: IncomingMessage, res: ServerResponse, review: string): Promise<void> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString('latin1');
  let spec: unknown = {};
  try {
    spec = (JSON.parse(text) as { spec?: unknown }).spec ?? {};
  } catch {
    // A protobuf body: the spec is not needed for the answer.
  }
  const allowed = 'the sandbox grants every request made with its token';
  const status =
    review === 'selfsubjectaccessreviews'
      ? { allowed: true, reason: allowed }
      : {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        };
  sendJson(res, 201, {
    kind: review === 'selfsubjectaccessreviews' ? 'SelfSubjectAccessReview' : 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status,
  });
}
