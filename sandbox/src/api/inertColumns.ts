/** Printer columns for the kinds the sandbox only stores (ingresses, RBAC, disruption budgets, …). */
/* eslint-disable @typescript-eslint/no-unsafe-member-access */
import type { KubeObject } from '../contracts.js';
import { age } from './age.js';
import type { Column } from './columns.js';

type Loose = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const name: Column = { name: 'Name', cell: (o) => o.metadata.name };
const ageColumn: Column = { name: 'Age', cell: (o, now) => age(o.metadata.creationTimestamp, now) };
const createdAt: Column = { name: 'Created At', type: 'date', cell: (o) => o.metadata.creationTimestamp ?? '' };

function text(value: unknown, fallback = '<none>'): string {
  if (typeof value === 'string') return value === '' ? fallback : value;
  return typeof value === 'number' ? String(value) : fallback;
}

function selectorText(selector: Loose): string {
  const labels = Object.entries((selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  const exprs = ((selector?.matchExpressions ?? []) as Loose[]).map((e) => `${String(e.key)} ${String(e.operator)}`);
  const all = [...labels, ...exprs];
  return all.length === 0 ? '<none>' : all.join(',');
}

function subjects(o: KubeObject, kind: string): string {
  return ((o.subjects ?? []) as Loose[])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${String(s.namespace ?? '')}/${String(s.name)}` : String(s.name)))
    .join(', ');
}

const bindingColumns: Column[] = [
  name,
  {
    name: 'Role',
    cell: (o) => `${String((o as Loose).roleRef?.kind ?? '')}/${String((o as Loose).roleRef?.name ?? '')}`,
  },
  ageColumn,
  { name: 'Users', priority: 1, cell: (o) => subjects(o, 'User') },
  { name: 'Groups', priority: 1, cell: (o) => subjects(o, 'Group') },
  { name: 'ServiceAccounts', priority: 1, cell: (o) => subjects(o, 'ServiceAccount') },
];

export const INERT_COLUMNS: Record<string, Column[]> = {
  Ingress: [
    name,
    { name: 'Class', cell: (o) => text(o.spec?.ingressClassName) },
    {
      name: 'Hosts',
      cell: (o) => {
        const hosts = ((o.spec?.rules ?? []) as Loose[]).map((r) => String(r.host ?? '*'));
        return hosts.length === 0 ? '*' : hosts.join(',');
      },
    },
    {
      name: 'Address',
      cell: (o) =>
        ((o.status?.loadBalancer?.ingress ?? []) as Loose[]).map((i) => String(i.ip ?? i.hostname)).join(','),
    },
    { name: 'Ports', cell: (o) => (((o.spec?.tls ?? []) as unknown[]).length > 0 ? '80, 443' : '80') },
    ageColumn,
  ],
  NetworkPolicy: [name, { name: 'Pod-Selector', cell: (o) => selectorText(o.spec?.podSelector) }, ageColumn],
  Role: [name, createdAt],
  ClusterRole: [name, createdAt],
  RoleBinding: bindingColumns,
  ClusterRoleBinding: bindingColumns,
  PodDisruptionBudget: [
    name,
    { name: 'Min Available', cell: (o) => text(o.spec?.minAvailable, 'N/A') },
    { name: 'Max Unavailable', cell: (o) => text(o.spec?.maxUnavailable, 'N/A') },
    { name: 'Allowed Disruptions', type: 'integer', cell: (o) => Number(o.status?.disruptionsAllowed ?? 0) },
    ageColumn,
  ],
  StorageClass: [
    name,
    { name: 'Provisioner', cell: (o) => text((o as Loose).provisioner, '') },
    { name: 'ReclaimPolicy', cell: (o) => text((o as Loose).reclaimPolicy, 'Delete') },
    { name: 'VolumeBindingMode', cell: (o) => text((o as Loose).volumeBindingMode, 'Immediate') },
    { name: 'AllowVolumeExpansion', cell: (o) => ((o as Loose).allowVolumeExpansion === true ? 'true' : 'false') },
    ageColumn,
  ],
  LimitRange: [name, createdAt],
};
