import { DevModeErrorCodes, type DevModeErrorData } from '@devmode/protocol';
import type { ResponseError } from 'vscode-jsonrpc';
import { KubeError } from '../kube/errors.js';
import { KubeconfigError, kubeconfigHint } from '../kube/kubeconfig.js';
import { devModeError } from './errors.js';

/**
 * Turns a cluster or kubeconfig failure into the named protocol error a person can act on. Anything else is
 * returned unchanged, to become an InternalError.
 */
export function explainClusterError(error: unknown): unknown {
  if (error instanceof KubeconfigError) {
    return devModeError(DevModeErrorCodes.KubeconfigInvalid, `Kubeconfig ${error.message}`, {
      file: error.file,
      ...(error.line !== undefined ? { line: error.line } : {}),
      reason: error.reason,
      hint: kubeconfigHint(error),
    });
  }
  if (!(error instanceof KubeError)) return error;
  return kubeErrorToResponse(error);
}

function kubeErrorToResponse(error: KubeError): ResponseError<DevModeErrorData> {
  const what = error.attempted;
  const where = what?.namespace !== undefined ? ` in namespace "${what.namespace}"` : '';
  switch (true) {
    case error.status === 401:
      return devModeError(DevModeErrorCodes.Forbidden, `The cluster rejected the credentials: ${error.message}`, {
        reason: error.reason,
        hint: 'The kubeconfig user is not authenticated: refresh its token or certificate.',
      });
    case error.status === 403:
      return devModeError(DevModeErrorCodes.Forbidden, `Forbidden: ${error.message}`, {
        ...(what !== undefined ? { verb: what.verb, resource: what.resource } : {}),
        ...(what?.namespace !== undefined ? { namespace: what.namespace } : {}),
        hint:
          what !== undefined
            ? `Your user may not ${what.verb} ${what.resource}${where}; ask a cluster admin for a Role that grants it.`
            : 'Ask a cluster admin for the permission named in the message.',
      });
    case error.status === 404:
      return devModeError(DevModeErrorCodes.NotFound, `Not found: ${error.message}`, { reason: error.reason });
    case error.status === 409:
      return devModeError(DevModeErrorCodes.WorkloadConflict, `Conflict: ${error.message}`, { retryable: true });
    case error.reason === 'ContextNotFound':
      return devModeError(DevModeErrorCodes.ContextNotFound, `Kubeconfig ${error.message}`, {
        hint: 'Pick one of the contexts that cluster/list returns.',
      });
    case error.status === 0:
      return devModeError(DevModeErrorCodes.ClusterUnreachable, `The cluster is unreachable: ${error.message}`, {
        reason: error.reason,
        retryable: true,
        hint: 'Check that the API server in the kubeconfig is running and reachable from this machine.',
      });
    default:
      return devModeError(
        DevModeErrorCodes.InternalError,
        `The API server answered ${error.status}: ${error.message}`,
        {
          reason: error.reason,
        },
      );
  }
}
