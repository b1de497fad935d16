/**
 * Conformance of the sandbox API server with the real kubectl 1.32: discovery, apply, Table output, selectors,
 * the three patch types, scale, delete, watch resume, rollout status and authentication.
 */
import { request } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await sandbox.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
  return result.stdout;
}

function header(output: string): string[] {
  return (output.split('\n')[0] ?? '').trim().split(/\s{2,}/);
}

function deployment(name: string, value: string, replicas = 1): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: busybox
        command: [sh, -c, 'sleep 3600']
        env: [{name: MODE, value: "${value}"}]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
`;
}

function configMap(name: string, value: string, labels = 'app: cfg'): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels: {${labels}}\ndata:\n  key: "${value}"\n`;
}

describe('kubectl against the sandbox', () => {
  it('reports server version 1.32 and serves discovery', async () => {
    const version = JSON.parse(await kubectl(['version', '-o', 'json'])) as {
      serverVersion: { major: string; minor: string };
    };
    expect(version.serverVersion).toMatchObject({ major: '1', minor: '32' });
    const resources = await kubectl(['api-resources', '--no-headers']);
    expect(resources).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(resources).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(resources).toMatch(/^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
    expect(await kubectl(['get', 'namespaces', '-o', 'name'])).toContain('namespace/kube-system');
  });

  it('applies a Deployment and a ConfigMap, then applies changes to them', async () => {
    const file = join(sandbox.stateDir, 'apply.yaml');
    writeFileSync(file, `${deployment('web', 'one')}---\n${configMap('cfg', 'v1')}`);
    expect(await kubectl(['apply', '-f', file])).toBe('deployment.apps/web created\nconfigmap/cfg created\n');
    writeFileSync(
      file,
      `${deployment('web', 'two').replace('mountPath: /data', 'mountPath: /srv')}---\n${configMap('cfg', 'v2')}`,
    );
    expect(await kubectl(['apply', '-f', file])).toBe('deployment.apps/web configured\nconfigmap/cfg configured\n');
    expect(await kubectl(['apply', '-f', file])).toBe('deployment.apps/web unchanged\nconfigmap/cfg unchanged\n');
    const web = JSON.parse(await kubectl(['get', 'deploy', 'web', '-o', 'json'])) as {
      metadata: { generation: number };
      spec: { template: { spec: { containers: { env: unknown; volumeMounts: unknown }[] } } };
    };
    expect(web.metadata.generation).toBe(2);
    expect(web.spec.template.spec.containers[0]?.env).toEqual([{ name: 'MODE', value: 'two' }]);
    expect(web.spec.template.spec.containers[0]?.volumeMounts).toEqual([{ name: 'data', mountPath: '/srv' }]);
    expect(await kubectl(['get', 'cm', 'cfg', '-o', 'jsonpath={.data.key}'])).toBe('v2');
  });

  it('prints the real columns for kubectl get', async () => {
    expect(header(await kubectl(['get', 'deploy']))).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(header(await kubectl(['get', 'cm']))).toEqual(['NAME', 'DATA', 'AGE']);
    expect(header(await kubectl(['get', 'ns']))).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(header(await kubectl(['get', 'pods', '-o', 'wide', '-A']))).toEqual([
      'NAMESPACE',
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    expect(await kubectl(['get', 'cm', 'cfg', '--no-headers'])).toMatch(/^cfg\s+1\s+\d+s\n$/);
  });

  it('prints objects as JSON and YAML with server-set metadata', async () => {
    const cm = JSON.parse(await kubectl(['get', 'cm', 'cfg', '-o', 'json', '--show-managed-fields'])) as {
      apiVersion: string;
      kind: string;
      metadata: {
        uid: string;
        resourceVersion: string;
        creationTimestamp: string;
        managedFields: { manager: string }[];
      };
    };
    expect(cm.apiVersion).toBe('v1');
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(cm.metadata.managedFields.map((m) => m.manager)).toContain('kubectl-client-side-apply');
    const yaml = await kubectl(['get', 'cm', 'cfg', '-o', 'yaml']);
    expect(yaml).toMatch(/^apiVersion: v1\n/);
    expect(yaml).toContain('  key: v2\n');
  });

  it('filters with label selectors', async () => {
    for (const [name, tier] of [
      ['sel-a', 'front'],
      ['sel-b', 'back'],
      ['sel-c', 'db'],
    ] as const) {
      await kubectl(['apply', '-f', '-'], configMap(name, tier, `group: sel, tier: ${tier}`));
    }
    const names = async (selector: string): Promise<string> =>
      (await kubectl(['get', 'cm', '-l', selector, '-o', 'name'])).trim().split('\n').join(' ');
    expect(await names('group=sel,tier!=back')).toBe('configmap/sel-a configmap/sel-c');
    expect(await names('tier in (back,db)')).toBe('configmap/sel-b configmap/sel-c');
    expect(await names('group=sel,tier notin (front)')).toBe('configmap/sel-b configmap/sel-c');
    expect(await kubectl(['get', 'cm', '-l', '!tier', '-o', 'name'])).toContain('configmap/cfg');
    const none = await sandbox.kubectl(['get', 'cm', '-l', 'tier=nothing']);
    expect(none.stderr).toContain('No resources found in default namespace.');
  });

  it('patches with strategic merge, merge and JSON patches', async () => {
    const smp = '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"EXTRA","value":"x"}]}]}}}}';
    expect(await kubectl(['patch', 'deploy', 'web', '-p', smp])).toBe('deployment.apps/web patched\n');
    const env = await kubectl([
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].env[*].name}',
    ]);
    // A real server puts the item only the patch has first (test/conformance compares it with one).
    expect(env).toBe('EXTRA MODE');
    await kubectl(['patch', 'cm', 'cfg', '--type=merge', '-p', '{"data":{"key":null,"other":"o"}}']);
    expect(await kubectl(['get', 'cm', 'cfg', '-o', 'jsonpath={.data}'])).toBe('{"other":"o"}');
    await kubectl(['patch', 'cm', 'cfg', '--type=json', '-p', '[{"op":"add","path":"/data/third","value":"3"}]']);
    expect(await kubectl(['get', 'cm', 'cfg', '-o', 'jsonpath={.data.third}'])).toBe('3');
    const failed = await sandbox.kubectl([
      'patch',
      'cm',
      'cfg',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/data/third","value":"4"}]',
    ]);
    expect(failed.code).not.toBe(0);
    // Worded as a real server words a failed test operation.
    expect(failed.stderr).toContain(
      'The request is invalid: the server rejected our request due to an error in our request',
    );
  });

  it('sets an image with kubectl set image', async () => {
    expect(await kubectl(['set', 'image', 'deploy/web', 'main=alpine'])).toBe('deployment.apps/web image updated\n');
    expect(await kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[*].image}'])).toBe(
      'alpine',
    );
  });

  it('honours server-side dry runs and answers kubectl auth can-i', async () => {
    const file = join(sandbox.stateDir, 'dry.yaml');
    writeFileSync(file, configMap('cfg', 'dry'));
    const diff = await sandbox.kubectl(['diff', '-f', file]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('+  key: dry\n');
    expect(await kubectl(['apply', '-f', file, '--dry-run=server'])).toBe(
      'configmap/cfg configured (server dry run)\n',
    );
    expect(await kubectl(['delete', 'cm', 'cfg', '--dry-run=server'])).toBe(
      'configmap "cfg" deleted (server dry run)\n',
    );
    expect(await kubectl(['get', 'cm', 'cfg', '-o', 'jsonpath={.data.key}'])).not.toBe('dry');
    expect(await kubectl(['auth', 'can-i', 'delete', 'pods'])).toBe('yes\n');
  });

  it('scales through the scale subresource', async () => {
    expect(await kubectl(['scale', 'deploy/web', '--replicas=2'])).toBe('deployment.apps/web scaled\n');
    const scale = JSON.parse(
      await kubectl(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale']),
    ) as {
      kind: string;
      apiVersion: string;
      spec: { replicas: number };
      status: { selector: string };
    };
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 } });
    expect(scale.status.selector).toBe('app=web');
  });

  it('waits for a rollout with kubectl rollout status', async () => {
    const result = await sandbox.kubectl(['rollout', 'status', 'deploy/web', '--timeout=60s'], { timeoutMs: 70_000 });
    expect(result.stdout).toContain('deployment "web" successfully rolled out');
    expect(result.code).toBe(0);
    const pods = await kubectl(['get', 'pods', '-l', 'app=web', '--no-headers']);
    expect(pods.trim().split('\n')).toHaveLength(2);
  }, 80_000);

  it('resumes a watch from a resourceVersion and streams kubectl get -w', async () => {
    const rv = (await kubectl(['get', 'cm', 'sel-a', '-o', 'jsonpath={.metadata.resourceVersion}'])).trim();
    await kubectl(['label', 'cm', 'sel-a', 'changed=yes']);
    await kubectl(['delete', 'cm', 'sel-a']);
    const raw = await kubectl([
      'get',
      '--raw',
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1&fieldSelector=metadata.name%3Dsel-a`,
    ]);
    const events = raw
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED sel-a', 'DELETED sel-a']);

    const watching = sandbox.kubectl(['get', 'cm', '-w', '-l', 'watch=me'], { timeoutMs: 4_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    await kubectl(['apply', '-f', '-'], configMap('watched', 'w', 'watch: me'));
    const watched = await watching;
    expect(watched.stdout).toMatch(/^NAME\s+DATA\s+AGE\nwatched\s+1\s+\d+s\n/);
  });

  it('deletes objects and their dependents', async () => {
    expect(await kubectl(['delete', 'cm', 'cfg'])).toBe('configmap "cfg" deleted\n');
    const missing = await sandbox.kubectl(['get', 'cm', 'cfg']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "cfg" not found');
    expect(await kubectl(['delete', 'deploy', 'web'])).toBe('deployment.apps "web" deleted\n');
    const deadline = Date.now() + 20_000;
    let left = '';
    do {
      await new Promise((r) => setTimeout(r, 250));
      left = await kubectl(['get', 'rs,pods', '-l', 'app=web', '-o', 'name']);
    } while (left.trim() !== '' && Date.now() < deadline);
    expect(left.trim()).toBe('');
  }, 30_000);

  it('creates objects with the kubectl create generators, which send protobuf', async () => {
    expect(await kubectl(['create', 'namespace', 'made'])).toBe('namespace/made created\n');
    expect(
      await kubectl(['-n', 'made', 'create', 'deployment', 'gen', '--image=busybox', '--replicas=2', '--port=8080']),
    ).toBe('deployment.apps/gen created\n');
    expect(
      await kubectl(['-n', 'made', 'create', 'configmap', 'gen', '--from-literal=a=1', '--from-literal=empty=']),
    ).toBe('configmap/gen created\n');
    expect(await kubectl(['-n', 'made', 'create', 'secret', 'generic', 'gen', '--from-literal=pw=s3cret'])).toBe(
      'secret/gen created\n',
    );
    expect(await kubectl(['-n', 'made', 'create', 'service', 'clusterip', 'gen', '--tcp=80:8080'])).toBe(
      'service/gen created\n',
    );
    expect(
      await kubectl([
        '-n',
        'made',
        'create',
        'cronjob',
        'gen',
        '--image=busybox',
        '--schedule=*/5 * * * *',
        '--',
        'true',
      ]),
    ).toBe('cronjob.batch/gen created\n');
    const gen = JSON.parse(await kubectl(['-n', 'made', 'get', 'deploy', 'gen', '-o', 'json'])) as {
      spec: {
        replicas: number;
        selector: unknown;
        template: { spec: { containers: { image: string; ports: unknown }[] } };
      };
    };
    expect(gen.spec.replicas).toBe(2);
    expect(gen.spec.selector).toEqual({ matchLabels: { app: 'gen' } });
    expect(gen.spec.template.spec.containers[0]?.image).toBe('busybox');
    expect(gen.spec.template.spec.containers[0]?.ports).toEqual([{ containerPort: 8080, protocol: 'TCP' }]);
    expect(await kubectl(['-n', 'made', 'get', 'cm', 'gen', '-o', 'jsonpath={.data}'])).toBe('{"a":"1","empty":""}');
    const secret = await kubectl(['-n', 'made', 'get', 'secret', 'gen', '-o', 'jsonpath={.data.pw}']);
    expect(Buffer.from(secret, 'base64').toString()).toBe('s3cret');
    expect(await kubectl(['-n', 'made', 'get', 'svc', 'gen', '--no-headers'])).toMatch(
      /^gen\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP\s+/,
    );
    expect(await kubectl(['-n', 'made', 'get', 'cronjob', 'gen', '--no-headers'])).toMatch(
      /^gen\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+/,
    );
  });

  it('deletes a namespace with everything in it', async () => {
    expect(await kubectl(['delete', 'namespace', 'made', '--timeout=30s'])).toBe('namespace "made" deleted\n');
    const gone = await sandbox.kubectl(['get', 'namespace', 'made']);
    expect(gone.stderr).toContain('Error from server (NotFound): namespaces "made" not found');
    expect(await kubectl(['get', 'deploy,rs,pods,cm,secrets,svc,cronjobs', '-n', 'made', '-o', 'name'])).toBe('');
    const refused = await sandbox.kubectl(['delete', 'namespace', 'default']);
    expect(refused.stderr).toContain('namespaces "default" is forbidden: this namespace may not be deleted');
  }, 40_000);

  it('stores the other kinds application manifests carry', async () => {
    const manifest = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: default, namespace: default}]
`;
    expect(await kubectl(['apply', '-f', '-'], manifest)).toBe(
      'ingress.networking.k8s.io/web created\nrolebinding.rbac.authorization.k8s.io/reader created\n',
    );
    expect(await kubectl(['get', 'ingress', 'web', '--no-headers'])).toMatch(
      /^web\s+<none>\s+web\.local\s+80\s+\d+s\n$/,
    );
    expect(header(await kubectl(['get', 'rolebinding', '-o', 'wide']))).toEqual([
      'NAME',
      'ROLE',
      'AGE',
      'USERS',
      'GROUPS',
      'SERVICEACCOUNTS',
    ]);
  });

  it('refuses requests without a valid token', async () => {
    const kubeconfig = readFileSync(sandbox.kubeconfig, 'utf8').replace(/token: \S+/, 'token: wrong');
    const badConfig = join(sandbox.stateDir, 'bad-kubeconfig');
    writeFileSync(badConfig, kubeconfig);
    const refused = await sandbox.kubectl(['--kubeconfig', badConfig, 'get', 'pods']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: You must be logged in to the server (Unauthorized)');

    const server = /server: (\S+)/.exec(kubeconfig)?.[1] ?? '';
    const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(kubeconfig)?.[1] ?? '', 'base64').toString();
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(new URL('/api/v1/pods', server), { ca }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});
