/**
 * Server-side printing: the `meta.k8s.io/v1` Table kubectl asks for, with the columns a real server prints for
 * each built-in kind (see columns.ts). Ages are computed here, as the real server does.
 */
import type { KubeObject } from '../contracts.js';
import { columnsFor, type Column } from './columns.js';

export { age, humanDuration } from './age.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(object: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

function definitions(columns: Column[]): Record<string, unknown>[] {
  return columns.map((column) => ({
    name: column.name,
    type: column.type ?? 'string',
    format: column.name === 'Name' ? 'name' : '',
    description: column.description ?? column.name,
    priority: column.priority ?? 0,
  }));
}

/** Objects of one kind as a Table. */
export function toTable(
  kind: string,
  objects: KubeObject[],
  resourceVersion: string,
  include: IncludeObject = 'Metadata',
): Record<string, unknown> {
  const columns = columnsFor(kind);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: definitions(columns),
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.cell(object, now)),
      object: rowObject(object, include),
    })),
  };
}

/** Parses the `includeObject` query parameter. */
export function includeObjectParam(value: string | null): IncludeObject {
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}
