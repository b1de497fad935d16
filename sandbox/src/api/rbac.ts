/**
 * Authorization. The sandbox has two users: its administrator (the kubeconfig's default context), who may do
 * everything, and `developer` (the `devmode-sandbox-developer` context), whose rights come only from RBAC objects
 * (Role, ClusterRole, RoleBinding, ClusterRoleBinding) stored in the cluster, evaluated as a real API server does.
 * That lets a namespace-scoped kubeconfig and RBAC denials be tried against the sandbox.
 */
import { ApiError, type KubeObject, type ResourceInfo, type Store } from '../contracts.js';

export const ADMIN_USER = 'sandbox-admin';
export const DEVELOPER_USER = 'developer';

export interface RequestAttributes {
  verb: string;
  resource: ResourceInfo;
  subresource?: string;
  namespace?: string;
  name?: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

/** The RBAC verb of a request, as the API server derives it from the method and the path. */
export function verbOf(method: string, name: string | undefined, watching: boolean, subresource?: string): string {
  if (subresource === 'exec' || subresource === 'attach' || subresource === 'portforward') return 'create';
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watching ? 'watch' : name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}

/** Throws 403 Forbidden, worded as a real API server words it, unless `user` may make the request. */
export function authorize(store: Store, user: string, request: RequestAttributes): void {
  if (user === ADMIN_USER) return;
  if (rulesFor(store, user, request.namespace).some((rule) => allows(rule, request))) return;
  const { resource, namespace, name, subresource, verb } = request;
  const plural = subresource === undefined ? resource.plural : `${resource.plural}/${subresource}`;
  const what =
    name === undefined ? plural : `${resource.plural}${resource.group === '' ? '' : `.${resource.group}`} "${name}"`;
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  throw new ApiError(
    403,
    'Forbidden',
    `${what} is forbidden: User "${user}" cannot ${verb} resource "${plural}" in API group "${resource.group}" ${scope}`,
    { ...(name !== undefined ? { name } : {}), group: resource.group, kind: resource.plural },
  );
}

/** The rules stored RBAC objects grant `user` in `namespace` (cluster-wide ones included). */
export function rulesFor(store: Store, user: string, namespace: string | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const bindings = [
    ...store.list('clusterrolebindings.rbac.authorization.k8s.io', undefined).items,
    ...(namespace === undefined ? [] : store.list('rolebindings.rbac.authorization.k8s.io', namespace).items),
  ];
  for (const binding of bindings) {
    const subjects = (binding.subjects ?? []) as { kind?: string; name?: string }[];
    if (!subjects.some((subject) => subject.kind === 'User' && subject.name === user)) continue;
    const ref = (binding.roleRef ?? {}) as { kind?: string; name?: string };
    const role: KubeObject | undefined =
      ref.kind === 'ClusterRole'
        ? store.get('clusterroles.rbac.authorization.k8s.io', undefined, ref.name ?? '')
        : store.get('roles.rbac.authorization.k8s.io', binding.metadata.namespace, ref.name ?? '');
    rules.push(...((role?.rules ?? []) as PolicyRule[]));
  }
  return rules;
}

function allows(rule: PolicyRule, request: RequestAttributes): boolean {
  const matches = (list: string[] | undefined, value: string): boolean =>
    list !== undefined && (list.includes('*') || list.includes(value));
  const resource =
    request.subresource === undefined ? request.resource.plural : `${request.resource.plural}/${request.subresource}`;
  return (
    matches(rule.apiGroups, request.resource.group) &&
    (matches(rule.resources, resource) ||
      (request.subresource !== undefined && matches(rule.resources, `${request.resource.plural}/*`))) &&
    matches(rule.verbs, request.verb) &&
    (rule.resourceNames === undefined ||
      rule.resourceNames.length === 0 ||
      (request.name !== undefined && rule.resourceNames.includes(request.name)))
  );
}
