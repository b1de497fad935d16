/**
 * API discovery in both styles: aggregated (apidiscovery.k8s.io/v2, two requests) when the client asks for it,
 * and the legacy APIVersions/APIGroupList/APIResourceList documents otherwise. client-node always reads the
 * per-group-version APIResourceList.
 */
import type { IncomingMessage } from 'node:http';
import type { ResourceInfo } from '../contracts.js';
import type { ResourceIndex } from '../resources.js';

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

interface Kind {
  group: string;
  version: string;
  kind: string;
}

/** What a subresource answers with and which verbs it takes. */
function subresourceShape(resource: ResourceInfo, subresource: string): { kind: Kind; verbs: string[] } {
  const own: Kind = { group: resource.group, version: resource.version, kind: resource.kind };
  const core = (kind: string): Kind => ({ group: '', version: 'v1', kind });
  switch (subresource) {
    case 'scale':
      return { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] };
    case 'log':
      return { kind: core('Pod'), verbs: ['get'] };
    case 'exec':
      return { kind: core('PodExecOptions'), verbs: ['create', 'get'] };
    case 'attach':
      return { kind: core('PodAttachOptions'), verbs: ['create', 'get'] };
    case 'portforward':
      return { kind: core('PodPortForwardOptions'), verbs: ['create', 'get'] };
    default:
      return { kind: own, verbs: ['get', 'patch', 'update'] };
  }
}

/** Whether the Accept header asks for aggregated discovery (v2 or v2beta1; v2 is what is answered). */
export function wantsAggregated(req: IncomingMessage): boolean {
  return /as=APIGroupDiscoveryList/.test(req.headers.accept ?? '');
}

function discoveryResource(resource: ResourceInfo): Record<string, unknown> {
  return {
    resource: resource.plural,
    responseKind: { group: resource.group, version: resource.version, kind: resource.kind },
    scope: resource.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: resource.singular,
    verbs: resource.verbs,
    ...(resource.shortNames.length > 0 ? { shortNames: resource.shortNames } : {}),
    ...(resource.categories.length > 0 ? { categories: resource.categories } : {}),
    subresources: resource.subresources.map((sub) => {
      const shape = subresourceShape(resource, sub);
      return { subresource: sub, responseKind: shape.kind, verbs: shape.verbs };
    }),
  };
}

function versionsOf(index: ResourceIndex, group: string): string[] {
  return index
    .groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => gv.version);
}

function groupsOf(index: ResourceIndex): string[] {
  return [...new Set(index.all.map((r) => r.group))].filter((g) => g !== '');
}

/** `GET /api` or `GET /apis` in the aggregated format. */
export function aggregatedDiscovery(index: ResourceIndex, core: boolean): Record<string, unknown> {
  const groups = core ? [''] : groupsOf(index);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: group === '' ? {} : { name: group },
      versions: versionsOf(index, group).map((version) => ({
        version,
        resources: index.all.filter((r) => r.group === group && r.version === version).map(discoveryResource),
        freshness: 'Current',
      })),
    })),
  };
}

/** `GET /api` in the legacy format. */
export function legacyCoreVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(index: ResourceIndex, group: string): Record<string, unknown> {
  const versions = versionsOf(index, group).map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

/** `GET /apis` in the legacy format. */
export function legacyGroupList(index: ResourceIndex): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsOf(index).map((group) => apiGroup(index, group)) };
}

/** `GET /apis/<group>`, or undefined for an unknown group. */
export function legacyGroup(index: ResourceIndex, group: string): Record<string, unknown> | undefined {
  if (!groupsOf(index).includes(group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(index, group) };
}

/** `GET /api/v1` or `GET /apis/<group>/<version>`, or undefined for an unknown group version. */
export function resourceList(
  index: ResourceIndex,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const resources = index.all.filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  const entries: Record<string, unknown>[] = [];
  for (const resource of resources) {
    entries.push({
      name: resource.plural,
      singularName: resource.singular,
      namespaced: resource.namespaced,
      kind: resource.kind,
      verbs: resource.verbs,
      ...(resource.shortNames.length > 0 ? { shortNames: resource.shortNames } : {}),
      ...(resource.categories.length > 0 ? { categories: resource.categories } : {}),
    });
    for (const sub of resource.subresources) {
      const shape = subresourceShape(resource, sub);
      entries.push({
        name: `${resource.plural}/${sub}`,
        singularName: '',
        namespaced: resource.namespaced,
        ...(shape.kind.group !== resource.group || shape.kind.version !== resource.version
          ? { group: shape.kind.group, version: shape.kind.version }
          : {}),
        kind: shape.kind.kind,
        verbs: shape.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: entries,
  };
}
