import type { DevModeErrorData } from '@devmode/protocol';
import { NamedError, type ErrorCodeName } from '../namedError.js';

/** What was attempted, for RBAC explanations: the verb and the resource. */
export interface Attempted {
  verb: string;
  resource: string;
  namespace?: string;
}

/** Subresources that attach to a running container: a 400 from them means the container is not running. */
const attachingResources = new Set(['pods/exec', 'pods/attach', 'pods/log']);

/**
 * An API failure, reduced to what the engine needs to react to it (`status`, `reason`) and named by the protocol
 * code a client sees, with a hint a person can act on.
 */
export class KubeError extends NamedError {
  public constructor(
    /** HTTP status; 0 when the cluster was not reached at all. */
    public readonly status: number,
    /** The `reason` of the API server's Status (`NotFound`, `Forbidden`, `Conflict`...), or a connection error code. */
    public readonly reason: string,
    message: string,
    /** What was attempted, for RBAC explanations: the verb and the resource. */
    public readonly attempted?: Attempted,
  ) {
    const named = nameOf(status, reason, message, attempted);
    super(named.code, message, named.data);
    this.clientText = named.message;
    this.name = 'KubeError';
  }

  private readonly clientText: string;

  public override get clientMessage(): string {
    return this.clientText;
  }
}

function nameOf(
  status: number,
  reason: string,
  message: string,
  what: Attempted | undefined,
): { code: ErrorCodeName; message: string; data: DevModeErrorData } {
  const where = what?.namespace !== undefined ? ` in namespace "${what.namespace}"` : '';
  switch (true) {
    case status === 401:
      return {
        code: 'Forbidden',
        message: `The cluster rejected the credentials: ${message}`,
        data: { reason, hint: 'The kubeconfig user is not authenticated: refresh its token or certificate.' },
      };
    case status === 403:
      return {
        code: 'Forbidden',
        message: `Forbidden: ${message}`,
        data: {
          ...(what !== undefined ? { verb: what.verb, resource: what.resource } : {}),
          ...(what?.namespace !== undefined ? { namespace: what.namespace } : {}),
          hint:
            what !== undefined
              ? `Your user may not ${what.verb} ${what.resource}${where}; ask a cluster admin for a Role that grants it.`
              : 'Ask a cluster admin for the permission named in the message.',
        },
      };
    case status === 404:
      return { code: 'NotFound', message: `Not found: ${message}`, data: { reason } };
    case status === 409:
      return { code: 'WorkloadConflict', message: `Conflict: ${message}`, data: { retryable: true } };
    case status === 400 && what !== undefined && attachingResources.has(what.resource):
      return {
        code: 'ContainerNotRunning',
        message,
        data: { reason, retryable: true, hint: 'Wait for the container to start, or pick a running pod.' },
      };
    case reason === 'ContextNotFound':
      return {
        code: 'ContextNotFound',
        message: `Kubeconfig ${message}`,
        data: { hint: 'Pick one of the contexts that cluster/list returns.' },
      };
    case status === 0:
      return {
        code: 'ClusterUnreachable',
        message: `The cluster is unreachable: ${message}`,
        data: {
          reason,
          retryable: true,
          hint: 'Check that the API server in the kubeconfig is running and reachable from this machine.',
        },
      };
    default:
      return { code: 'InternalError', message: `The API server answered ${status}: ${message}`, data: { reason } };
  }
}
