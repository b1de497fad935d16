/**
 * The smallest OpenAPI v3 documents that let `kubectl apply` validate on the server side: for every kind, a
 * `patch` operation carrying the kind's group-version-kind and a `fieldValidation` parameter. kubectl only looks
 * for that operation; it builds strategic merge patches from its compiled-in types.
 */
import { createHash } from 'node:crypto';
import type { ResourceIndex } from '../resources.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The document for one group version (`api/v1`, `apis/apps/v1`), or undefined if none is served there. */
export function openApiDocument(index: ResourceIndex, path: string): Record<string, unknown> | undefined {
  const resources = index.all.filter((r) => gvPath(r.group, r.version) === path);
  if (resources.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const resource of resources) {
    const prefix = `/${path}${resource.namespaced ? '/namespaces/{namespace}' : ''}/${resource.plural}/{name}`;
    paths[prefix] = {
      patch: {
        operationId: `patch${resource.kind}`,
        'x-kubernetes-group-version-kind': { group: resource.group, version: resource.version, kind: resource.kind },
        parameters: [
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4-devmode-sandbox' },
    paths,
    components: { schemas: {} },
  };
}

/** `GET /openapi/v3`: where each group version's document lives, with a content hash for caching. */
export function openApiIndex(index: ResourceIndex): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of index.groupVersions()) {
    const path = gvPath(group, version);
    const hash = createHash('sha512')
      .update(JSON.stringify(openApiDocument(index, path)))
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { paths };
}
