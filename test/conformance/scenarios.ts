/**
 * The conformance scenarios: each is a short conversation a user's tools (kubectl, client-node, devmode) have
 * with an API server. Nothing here needs a node: the real control plane under test has none, so its pods stay
 * Pending, and only what the API server itself answers is compared.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- picks read loosely typed JSON answers. */
import type { Scenario, Step } from './runner.js';

/** An image no test pulls: scenarios exercise the API only. */
const IMAGE = 'registry.invalid/api-only:1';

function deploymentYaml(options: {
  name?: string;
  replicas?: string;
  selector?: string;
  templateLabels?: string;
  containers?: string;
}): string {
  const name = options.name ?? 'web';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: {ns}
spec:
${options.replicas !== undefined ? `  replicas: ${options.replicas}\n` : ''}  selector:
    matchLabels:
      app: ${options.selector ?? name}
  template:
    metadata:
      labels:
        app: ${options.templateLabels ?? name}
    spec:
      containers:
${options.containers ?? `      - name: main\n        image: ${IMAGE}\n        command: ["sleep", "3600"]\n`}`;
}

function podYaml(name: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: {ns}
spec:
  containers:
  - name: main
    image: ${IMAGE}
    command: ["sleep", "3600"]
${extra}`;
}

const apply = (stdin: string, ...flags: string[]): Step => ({ kubectl: ['apply', '-f', '-', ...flags], stdin });
const create = (stdin: string, ...flags: string[]): Step => ({ kubectl: ['create', '-f', '-', ...flags], stdin });
const kubectl = (...args: string[]): Step => ({ kubectl: args });

/** The parts of an error Status a client reads: code, reason, message and details. */
const statusParts = (body: any): unknown => ({
  kind: body?.kind,
  code: body?.code,
  reason: body?.reason,
  message: body?.message,
  details: body?.details,
});

/** The events of a watch's answer (JSON lines) as `TYPE name`. */
const watchEvents = (body: unknown): string[] =>
  (typeof body === 'string' ? body : JSON.stringify(body))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const event = JSON.parse(line);
      return `${event.type} ${event.object?.metadata?.name}`;
    });

/** A Pod's spec without what only a node (or the sandbox's own node) fills in. */
const podSpec = (pod: any): unknown => {
  const { nodeName: _nodeName, ...spec } = pod.spec ?? {};
  return { metadataKeys: Object.keys(pod.metadata ?? {}).sort(), spec };
};

export const SCENARIOS: Scenario[] = [
  // ---------------------------------------------------------------- validation
  {
    name: 'deployment selector that does not match the template labels',
    steps: [
      apply(deploymentYaml({ selector: 'web', templateLabels: 'other' })),
      kubectl('get', 'deploy', '-n', '{ns}'),
    ],
  },
  {
    name: 'container without an image',
    steps: [
      apply(deploymentYaml({ containers: '      - name: main\n        command: ["sleep", "3600"]\n' })),
      apply(
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\n  namespace: {ns}\nspec:\n  containers:\n  - name: main\n`,
      ),
    ],
  },
  {
    name: 'duplicate container names',
    steps: [
      apply(
        deploymentYaml({
          containers: `      - name: main\n        image: ${IMAGE}\n      - name: main\n        image: ${IMAGE}\n`,
        }),
      ),
    ],
  },
  {
    name: 'replicas -1',
    steps: [apply(deploymentYaml({ replicas: '-1' }))],
  },
  {
    name: 'replicas "two"',
    steps: [apply(deploymentYaml({ replicas: '"two"' })), create(deploymentYaml({ replicas: '"two"' }))],
  },
  {
    name: 'label value that is not a string',
    steps: [
      create(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labelled\n  namespace: {ns}\n  labels:\n    tier: 1\n`,
      ),
    ],
  },
  {
    name: 'unknown field under strict validation (kubectl)',
    steps: [
      apply(
        deploymentYaml({
          containers: `      - name: main\n        image: ${IMAGE}\n        imagePullPolicyy: Always\n`,
        }),
        '--validate=strict',
      ),
      kubectl('get', 'deploy', '-n', '{ns}', '-o', 'name'),
    ],
  },
  {
    name: 'unknown field under fieldValidation=Strict (HTTP)',
    steps: [
      {
        request: {
          method: 'POST',
          path: '/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict',
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strict' }, data: { a: '1' }, extra: 1 },
        },
        pick: statusParts,
      },
      {
        request: {
          method: 'POST',
          path: '/api/v1/namespaces/{ns}/configmaps?fieldValidation=Ignore',
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored' }, data: { a: '1' }, extra: 1 },
        },
        pick: (body: any) => ({ kind: body.kind, name: body.metadata?.name, data: body.data, extra: body.extra }),
      },
    ],
  },
  {
    name: 'merge patch that sets replicas to a string',
    steps: [
      apply(deploymentYaml({})),
      {
        kubectl: ['patch', 'deploy', 'web', '-n', '{ns}', '--type=merge', '-p', '{"spec":{"replicas":"x"}}'],
        // The error quotes the whole patched object, status and managed fields included, which the two clusters
        // fill differently; the rest of the message is compared.
        mask: /Invalid value: "\{.*\}": /,
      },
      { kubectl: ['get', 'deploy', 'web', '-n', '{ns}', '-o', 'json'], pick: (d: any) => d.spec.replicas },
    ],
  },
  {
    name: 'immutable Pod spec change is refused',
    steps: [
      apply(podYaml('fixed')),
      {
        request: {
          method: 'PATCH',
          path: '/api/v1/namespaces/{ns}/pods/fixed',
          contentType: 'application/strategic-merge-patch+json',
          body: { spec: { containers: [{ name: 'main', command: ['sleep', '1'] }] } },
        },
        // The real message goes on with a field-by-field diff of the whole PodSpec; its first line and the
        // structured cause are what clients act on.
        pick: (body: any) => ({
          ...(statusParts(body) as object),
          message: String(body?.message).split('\n')[0],
          details: {
            ...body?.details,
            causes: body?.details?.causes?.map((c: any) => ({ ...c, message: String(c.message).split('\n')[0] })),
          },
        }),
      },
      kubectl('set', 'image', 'pod/fixed', `main=${IMAGE.replace(':1', ':2')}`, '-n', '{ns}'),
    ],
  },
  {
    name: 'invalid name: the 422 Status with details',
    steps: [
      kubectl('create', 'configmap', 'Bad_Name', '-n', '{ns}'),
      {
        request: {
          method: 'POST',
          path: '/api/v1/namespaces/{ns}/configmaps',
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } },
        },
        pick: statusParts,
      },
    ],
  },
  // ---------------------------------------------------------------- defaults
  {
    name: 'Pod admission defaults',
    steps: [
      apply(podYaml('defaults')),
      { kubectl: ['get', 'pod', 'defaults', '-n', '{ns}', '-o', 'json'], pick: podSpec },
      apply(podYaml('no-token', '  automountServiceAccountToken: false\n')),
      { kubectl: ['get', 'pod', 'no-token', '-n', '{ns}', '-o', 'json'], pick: podSpec },
    ],
  },
  {
    name: 'Deployment defaults and template creationTimestamp',
    steps: [
      apply(deploymentYaml({})),
      {
        kubectl: ['get', 'deploy', 'web', '-n', '{ns}', '-o', 'json'],
        pick: (d: any) => {
          // The revision annotation is the deployment controller's, written whenever it gets to it.
          const { 'deployment.kubernetes.io/revision': _revision, ...annotations } = d.metadata.annotations ?? {};
          return { generation: d.metadata.generation, annotations, spec: d.spec };
        },
      },
    ],
  },
  {
    name: 'ConfigMap as stored (no generation)',
    steps: [
      kubectl('create', 'configmap', 'plain', '-n', '{ns}', '--from-literal=a=1'),
      { kubectl: ['get', 'configmap', 'plain', '-n', '{ns}', '-o', 'json'] },
    ],
  },
  {
    name: 'new namespace: default ServiceAccount and kube-root-ca.crt',
    steps: [
      { kubectl: ['get', 'serviceaccounts', '-n', '{ns}', '-o', 'name'] },
      { kubectl: ['get', 'configmaps', '-n', '{ns}', '-o', 'name'] },
      {
        kubectl: ['get', 'namespace', '{ns}', '-o', 'json'],
        pick: (ns: any) => ({
          labels: ns.metadata.labels,
          spec: ns.spec,
          status: ns.status,
          keys: Object.keys(ns.metadata).sort(),
        }),
      },
    ],
  },
  {
    name: 'metadata.generation by kind',
    steps: [
      apply(`apiVersion: v1
kind: Service
metadata: {name: svc, namespace: "{ns}"}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Secret
metadata: {name: secret, namespace: "{ns}"}
stringData: {a: "1"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cron, namespace: "{ns}"}
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: main, image: ${IMAGE}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: netpol, namespace: "{ns}"}
spec: {podSelector: {}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: pdb, namespace: "{ns}"}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: hpa, namespace: "{ns}"}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3
`),
      {
        kubectl: [
          'get',
          'services,secrets,cronjobs,networkpolicies,poddisruptionbudgets,horizontalpodautoscalers',
          '-n',
          '{ns}',
          '-o',
          'json',
        ],
        pick: (list: any) =>
          list.items.map((item: any) => `${item.kind}/${item.metadata.name}: ${String(item.metadata.generation)}`),
      },
    ],
  },
  {
    name: 'Service and CronJob defaults',
    steps: [
      apply(`apiVersion: v1
kind: Service
metadata: {name: svc, namespace: "{ns}"}
spec:
  selector: {app: web}
  ports: [{port: 80, name: http}]
`),
      {
        kubectl: ['get', 'service', 'svc', '-n', '{ns}', '-o', 'json'],
        pick: (svc: any) => {
          const { clusterIP: _ip, clusterIPs: _ips, ...spec } = svc.spec;
          return { spec, status: svc.status };
        },
      },
      apply(`apiVersion: batch/v1
kind: CronJob
metadata: {name: cron, namespace: "{ns}"}
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: main, image: ${IMAGE}}]
`),
      { kubectl: ['get', 'cronjob', 'cron', '-n', '{ns}', '-o', 'json'], pick: (cron: any) => cron.spec },
    ],
  },
  {
    name: 'StatefulSet, DaemonSet and Job defaults',
    steps: [
      apply(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: "{ns}"}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: main, image: ${IMAGE}}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: "{ns}"}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: main, image: ${IMAGE}}]
`),
      { kubectl: ['get', 'statefulset', 'db', '-n', '{ns}', '-o', 'json'], pick: (o: any) => o.spec },
      { kubectl: ['get', 'daemonset', 'agent', '-n', '{ns}', '-o', 'json'], pick: (o: any) => o.spec },
      apply(`apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: "{ns}"}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: ${IMAGE}}]
`),
      {
        kubectl: ['get', 'job', 'once', '-n', '{ns}', '-o', 'json'],
        // The selector and labels carry the Job's own uid, normalised; the rest of the spec is compared.
        pick: (o: any) => ({ labels: o.metadata.labels, spec: o.spec }),
      },
    ],
  },
  {
    name: 'label validation and a missing service account',
    steps: [
      kubectl('create', 'configmap', 'labelled', '-n', '{ns}'),
      kubectl('label', 'configmap', 'labelled', 'tier=bad value!', '-n', '{ns}'),
      kubectl('label', 'configmap', 'labelled', 'bad key!=x', '-n', '{ns}'),
      apply(podYaml('lost', '  serviceAccountName: nobody\n')),
    ],
  },
  {
    name: 'unknown fields warned about, dry runs and preconditions',
    steps: [
      create(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warned\n  namespace: {ns}\n  extra: 1\ndata:\n  a: "1"\n`,
        '--validate=warn',
      ),
      {
        kubectl: ['get', 'configmap', 'warned', '-n', '{ns}', '-o', 'json'],
        pick: (cm: any) => cm.metadata.extra ?? 'dropped',
      },
      apply(deploymentYaml({}), '--dry-run=server'),
      kubectl('get', 'deployments', '-n', '{ns}', '-o', 'name'),
      {
        request: {
          method: 'PATCH',
          path: '/api/v1/namespaces/{ns}/configmaps/warned',
          contentType: 'application/merge-patch+json',
          body: { metadata: { resourceVersion: '1' }, data: { a: '2' } },
        },
        pick: statusParts,
      },
    ],
  },
  {
    name: 'list pages, tables and the scale subresource',
    steps: [
      kubectl('create', 'configmap', 'a', '-n', '{ns}'),
      kubectl('create', 'configmap', 'b', '-n', '{ns}'),
      {
        request: { method: 'GET', path: '/api/v1/namespaces/{ns}/configmaps?limit=2' },
        pick: (list: any) => ({
          names: list.items?.map((item: any) => item.metadata.name),
          continues: typeof list.metadata?.continue === 'string' && list.metadata.continue !== '',
          remainingItemCount: list.metadata?.remainingItemCount,
        }),
      },
      kubectl('get', 'configmaps,serviceaccounts', '-n', '{ns}'),
      apply(deploymentYaml({ replicas: '2' })),
      kubectl('scale', 'deployment', 'web', '--replicas=0', '-n', '{ns}'),
      {
        request: { method: 'GET', path: '/apis/apps/v1/namespaces/{ns}/deployments/web/scale' },
        pick: (scale: any) => ({
          kind: scale.kind,
          apiVersion: scale.apiVersion,
          spec: scale.spec,
          name: scale.metadata?.name,
        }),
      },
      kubectl(
        'patch',
        'deployment',
        'web',
        '-n',
        '{ns}',
        '--type=merge',
        '-p',
        '{"spec":{"selector":{"matchLabels":{"app":"other"}}}}',
      ),
    ],
  },
  {
    name: "a Deployment's ReplicaSet and garbage collection of dependents",
    steps: [
      apply(deploymentYaml({})),
      {
        wait: async (clients, ns) =>
          (await clients.apps.listNamespacedReplicaSet({ namespace: ns })).items.length === 1,
        what: 'the Deployment has its ReplicaSet',
      },
      {
        kubectl: ['get', 'replicasets', '-n', '{ns}', '-o', 'json'],
        // The ReplicaSet's name ends in a hash of the pod template that each implementation computes its own way.
        pick: (list: any) =>
          list.items.map((rs: any) => ({
            owners: rs.metadata.ownerReferences.map((o: any) => ({ ...o, uid: 'owner' })),
            annotations: rs.metadata.annotations,
            labels: Object.keys(rs.metadata.labels ?? {}).sort(),
            generation: rs.metadata.generation,
            replicas: rs.spec.replicas,
            selector: Object.keys(rs.spec.selector.matchLabels).sort(),
            templateLabels: Object.keys(rs.spec.template.metadata.labels).sort(),
          })),
      },
      {
        client: async (clients, ns) => {
          const deployment = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
          const owned = await clients.core.createNamespacedConfigMap({
            namespace: ns,
            body: {
              metadata: {
                name: 'owned',
                ownerReferences: [
                  { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deployment.metadata?.uid ?? '' },
                ],
              },
            },
          });
          return owned.metadata?.ownerReferences?.length;
        },
      },
      kubectl('delete', 'deployment', 'web', '-n', '{ns}'),
      {
        wait: async (clients, ns) =>
          (await clients.core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'metadata.name=owned' })).items
            .length === 0 && (await clients.apps.listNamespacedReplicaSet({ namespace: ns })).items.length === 0,
        what: 'the dependents are gone with their owner',
      },
    ],
  },
  {
    name: 'Secrets: stringData, types and tables',
    steps: [
      kubectl('create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '-n', '{ns}'),
      apply(`apiVersion: v1\nkind: Secret\nmetadata: {name: written, namespace: "{ns}"}\nstringData: {token: abc}\n`),
      {
        kubectl: ['get', 'secrets', '-n', '{ns}', '-o', 'json'],
        pick: (list: any) =>
          list.items.map((secret: any) => ({
            name: secret.metadata.name,
            type: secret.type,
            data: secret.data,
            stringData: secret.stringData,
          })),
      },
      kubectl('get', 'secrets', '-n', '{ns}'),
      apply(`apiVersion: v1\nkind: Secret\nmetadata: {name: bad, namespace: "{ns}"}\ndata: {token: "not base64!"}\n`),
    ],
  },
  // ---------------------------------------------------------------- patches
  {
    name: 'strategic merge patch list order',
    steps: [
      apply(
        deploymentYaml({
          containers: `      - name: main\n        image: ${IMAGE}\n        env:\n        - {name: A, value: "1"}\n        - {name: B, value: "2"}\n`,
        }),
      ),
      kubectl(
        'patch',
        'deploy',
        'web',
        '-n',
        '{ns}',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"C","value":"3"},{"name":"A","value":"9"}]}]}}}}',
      ),
      {
        kubectl: ['get', 'deploy', 'web', '-n', '{ns}', '-o', 'json'],
        pick: (d: any) => d.spec.template.spec.containers[0].env,
      },
    ],
  },
  {
    name: 'strategic merge patch item without its merge key',
    steps: [
      apply(deploymentYaml({})),
      kubectl(
        'patch',
        'deploy',
        'web',
        '-n',
        '{ns}',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"image":"x:1"}]}}}}',
      ),
    ],
  },
  {
    name: 'JSON patch and merge patch as devmode sends them',
    steps: [
      apply(deploymentYaml({})),
      {
        request: {
          method: 'PATCH',
          path: '/apis/apps/v1/namespaces/{ns}/deployments/web',
          contentType: 'application/json-patch+json',
          body: [
            { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'main' },
            { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'dev:1' },
          ],
        },
        pick: (d: any) => d.spec?.template?.spec?.containers ?? statusParts(d),
      },
      {
        request: {
          method: 'PATCH',
          path: '/apis/apps/v1/namespaces/{ns}/deployments/web',
          contentType: 'application/json-patch+json',
          body: [{ op: 'test', path: '/spec/template/spec/containers/0/image', value: 'other' }],
        },
        pick: statusParts,
      },
      {
        request: {
          method: 'PATCH',
          path: '/apis/apps/v1/namespaces/{ns}/deployments/web',
          contentType: 'application/merge-patch+json',
          body: { metadata: { annotations: { 'devmode.dev/state': '{"a":1}' } }, spec: { replicas: 0 } },
        },
        pick: (d: any) => ({
          // The revision annotation is the deployment controller's, written whenever it gets to it.
          state: d.metadata?.annotations?.['devmode.dev/state'],
          replicas: d.spec?.replicas,
          generation: d.metadata?.generation,
        }),
      },
    ],
  },
  // ---------------------------------------------------------------- server-side apply
  {
    name: 'server-side apply and field-manager conflicts',
    steps: [
      apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: {ns}\ndata:\n  a: "1"\n`,
        '--server-side',
      ),
      apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: {ns}\ndata:\n  a: "2"\n`,
        '--server-side',
        '--field-manager=other',
      ),
      apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: {ns}\ndata:\n  a: "2"\n`,
        '--server-side',
        '--field-manager=other',
        '--force-conflicts',
      ),
      {
        request: {
          method: 'PATCH',
          path: '/api/v1/namespaces/{ns}/configmaps/ssa',
          contentType: 'application/apply-patch+yaml',
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { b: '1' } },
        },
        pick: statusParts,
      },
      {
        kubectl: ['get', 'configmap', 'ssa', '-n', '{ns}', '-o', 'json', '--show-managed-fields'],
        pick: (cm: any) => ({ data: cm.data, managers: cm.metadata.managedFields }),
      },
    ],
  },
  // ---------------------------------------------------------------- discovery
  {
    name: 'discovery: the resources served',
    steps: [kubectl('api-resources', '--sort-by=name')],
  },
  {
    name: 'discovery: kinds a DevMode user touches',
    steps: [
      kubectl('get', 'controllerrevisions,podtemplates,replicationcontrollers', '-n', '{ns}'),
      kubectl('auth', 'can-i', 'patch', 'deployments', '-n', '{ns}'),
      kubectl('auth', 'can-i', '--list', '-n', '{ns}'),
      kubectl('get', 'events.events.k8s.io', '-n', '{ns}'),
      kubectl('get', 'customresourcedefinitions'),
    ],
  },
  // ---------------------------------------------------------------- what devmode itself uses
  {
    name: 'list with label and field selectors',
    steps: [
      kubectl('create', 'configmap', 'one', '-n', '{ns}'),
      kubectl('create', 'configmap', 'two', '-n', '{ns}'),
      kubectl('create', 'configmap', 'three', '-n', '{ns}'),
      kubectl('label', 'configmap', 'one', 'tier=web', 'track=stable', '-n', '{ns}'),
      kubectl('label', 'configmap', 'two', 'tier=db', '-n', '{ns}'),
      kubectl('get', 'configmaps', '-n', '{ns}', '-l', 'tier in (web,db),track!=canary', '-o', 'name'),
      kubectl('get', 'configmaps', '-n', '{ns}', '-l', '!tier', '-o', 'name'),
      kubectl('get', 'configmaps', '-n', '{ns}', '--field-selector', 'metadata.name=two', '-o', 'name'),
      kubectl('get', 'configmaps', '-n', '{ns}', '--field-selector', 'spec.nope=two', '-o', 'name'),
      kubectl('get', 'configmaps', '-n', '{ns}', '-l', 'tier in web', '-o', 'name'),
    ],
  },
  {
    name: 'watch from a resourceVersion',
    steps: [
      kubectl('create', 'configmap', 'watched', '-n', '{ns}'),
      {
        client: async (clients, ns) => {
          const list = await clients.core.listNamespacedConfigMap({ namespace: ns });
          const from = list.metadata?.resourceVersion ?? '';
          await clients.core.patchNamespacedConfigMap(
            { name: 'watched', namespace: ns, body: { data: { a: '1' } } },
            // The typed client's default patch type is JSON patch; a merge patch says what it means here.
            (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
          );
          await clients.core.deleteNamespacedConfigMap({ name: 'watched', namespace: ns });
          const { body } = await (
            await import('./runner.js')
          ).rawRequest(
            clients.config,
            'GET',
            `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${from}&timeoutSeconds=2`,
          );
          return String(typeof body === 'string' ? body : JSON.stringify(body))
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => {
              const event = JSON.parse(line);
              return `${event.type} ${event.object?.metadata?.name} ${JSON.stringify(event.object?.data ?? null)}`;
            });
        },
      },
      {
        request: { method: 'GET', path: '/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion=abc' },
        pick: statusParts,
      },
    ],
  },
  {
    name: 'watch without a resourceVersion, by label',
    steps: [
      kubectl('create', 'configmap', 'first', '-n', '{ns}'),
      kubectl('label', 'configmap', 'first', 'app=web', '-n', '{ns}'),
      {
        request: { method: 'GET', path: '/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1' },
        pick: (body: any) => watchEvents(body).sort(),
      },
      {
        request: {
          method: 'GET',
          path: '/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1&labelSelector=app%3Dweb',
        },
        pick: (body: any) => watchEvents(body),
      },
      {
        request: {
          method: 'GET',
          path: '/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1&fieldSelector=data.a%3D1',
        },
        pick: statusParts,
      },
    ],
  },
  {
    name: 'errors for missing objects and conflicts',
    steps: [
      kubectl('get', 'deploy', 'nope', '-n', '{ns}'),
      kubectl('get', 'pods', '-n', 'no-such-namespace-here'),
      kubectl('create', 'configmap', 'dup', '-n', '{ns}'),
      kubectl('create', 'configmap', 'dup', '-n', '{ns}'),
      kubectl('create', 'configmap', 'lost', '-n', 'no-such-namespace-here'),
      {
        request: {
          method: 'PUT',
          path: '/api/v1/namespaces/{ns}/configmaps/dup',
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'dup', resourceVersion: '1' },
            data: { a: '1' },
          },
        },
        pick: statusParts,
      },
      kubectl('delete', 'configmap', 'dup', '-n', '{ns}'),
      kubectl('delete', 'configmap', 'dup', '-n', '{ns}'),
    ],
  },
  {
    name: 'pods/log and exec errors',
    steps: [
      apply(podYaml('logged')),
      kubectl('logs', 'nope', '-n', '{ns}'),
      kubectl('logs', 'logged', '-c', 'nope', '-n', '{ns}'),
      kubectl('exec', 'nope', '-n', '{ns}', '--', 'true'),
      kubectl('exec', 'logged', '-c', 'nope', '-n', '{ns}', '--', 'true'),
      {
        request: { method: 'GET', path: '/api/v1/namespaces/{ns}/pods/logged/log?container=nope' },
        pick: statusParts,
      },
    ],
  },
  {
    name: 'namespaces: create, read, delete',
    steps: [
      kubectl('create', 'namespace', '{ns}-extra'),
      {
        kubectl: ['get', 'namespace', '{ns}-extra', '-o', 'json'],
        pick: (ns: any) => ({ labels: ns.metadata.labels, spec: ns.spec, status: ns.status }),
      },
      kubectl('create', 'namespace', '{ns}-extra'),
      kubectl('delete', 'namespace', '{ns}-extra', '--wait=false'),
      kubectl('create', 'namespace', 'Bad_Namespace'),
    ],
  },
  {
    name: 'events: core and events.k8s.io',
    steps: [
      {
        request: {
          method: 'POST',
          path: '/api/v1/namespaces/{ns}/events',
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: 'web.1' },
            involvedObject: { kind: 'Deployment', name: 'web', namespace: '{ns}', apiVersion: 'apps/v1' },
            reason: 'Tested',
            message: 'an event for the record',
            type: 'Normal',
            source: { component: 'conformance' },
          },
        },
        pick: (e: any) => ({ kind: e.kind, reason: e.reason, message: e.message, type: e.type, count: e.count }),
      },
      {
        request: { method: 'GET', path: '/apis/events.k8s.io/v1/namespaces/{ns}/events' },
        pick: (list: any) =>
          (list.items ?? [list]).map((e: any) => ({
            name: e.metadata?.name,
            reason: e.reason,
            note: e.note,
            regarding: e.regarding,
          })),
      },
      kubectl('get', 'events', '-n', '{ns}', '-o', 'custom-columns=REASON:.reason,MESSAGE:.message'),
    ],
  },
  {
    name: 'client-node typed calls',
    steps: [
      {
        client: (clients, ns) =>
          clients.core.createNamespacedConfigMap({
            namespace: ns,
            body: { metadata: { name: 'typed' }, data: { a: '1' } },
          }),
        pick: (outcome: any) => outcome.result ?? outcome,
      },
      {
        client: (clients, ns) => clients.apps.readNamespacedDeployment({ name: 'nope', namespace: ns }),
      },
      {
        client: (clients, ns) =>
          clients.objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed', namespace: ns } }),
        pick: (outcome: any) => outcome.result?.data ?? outcome,
      },
    ],
  },
];
