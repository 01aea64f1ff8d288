// The kube-apiserver stand-in's REST surface as a real kubectl uses it: a real etcd and the
// stand-in on loopback, then requests in, status codes and documents out. The protobuf bodies are
// what Debian's kubectl 1.36.4 sent for `create ns cap`, `auth can-i '*' '*'` and
// `create cm x -n cap --from-literal=a=b` (captured on the wire).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, 'src');
const work = mkdtempSync(join(tmpdir(), 'standin-apiserver-'));
const port = 20000 + (process.pid % 20000);
const ETCD = { client: port + 1, peer: port + 2 };
const procs: ChildProcess[] = [];

const CAPTURED = {
  createNamespace: 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhsKEwoDY2FwEgAaACIAKgAyADgAQgASABoCCgAaACIA',
  canIAll:
    'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSNwoQCgASABoAIgAqADIAOABCABIZChcKB2RlZmF1bHQSASoaACIAKgEqMgA6ABoICAASABoAIAAaACIA',
  createConfigMap: 'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEh4KFAoBeBIAGgNjYXAiACoAMgA4AEIAEgYKAWESAWIaACIA',
};
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: work, stdio: 'ignore' });
}
function cert(name: string, subject: string): void {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(work, `${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

interface Reply {
  code: number;
  type: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API documents of many shapes
  warnings: string[];
}
function call(method: string, path: string, opts: { body?: unknown; type?: string; accept?: string; user?: string } = {}): Promise<Reply> {
  const user = opts.user ?? 'admin';
  const payload = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        ca: readFileSync(join(work, 'ca.crt')),
        cert: readFileSync(join(work, `${user}.crt`)),
        key: readFileSync(join(work, `${user}.key`)),
        headers: {
          Accept: opts.accept ?? 'application/json',
          ...(payload ? { 'Content-Type': opts.type ?? 'application/json', 'Content-Length': payload.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* plain text (health) */
          }
          // One Warning header a warning, as upstream sends them (res.headers would join them).
          const warnings = res.rawHeaders.filter((_, i) => i % 2 === 1 && res.rawHeaders[i - 1]?.toLowerCase() === 'warning');
          resolve({ code: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body, warnings });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=kubernetes']);
  cert('server', '/CN=kube-apiserver');
  cert('admin', '/CN=kubernetes-admin/O=system:masters');
  cert('jane', '/CN=jane/O=developers');
  const etcd = spawn(
    'etcd',
    [
      '--name=t',
      `--data-dir=${join(work, 'etcd')}`,
      `--listen-client-urls=https://127.0.0.1:${ETCD.client}`,
      `--advertise-client-urls=https://127.0.0.1:${ETCD.client}`,
      `--listen-peer-urls=http://127.0.0.1:${ETCD.peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ETCD.peer}`,
      `--initial-cluster=t=http://127.0.0.1:${ETCD.peer}`,
      '--client-cert-auth',
      `--trusted-ca-file=${join(work, 'ca.crt')}`,
      `--cert-file=${join(work, 'server.crt')}`,
      `--key-file=${join(work, 'server.key')}`,
    ],
    { stdio: 'ignore' },
  );
  procs.push(etcd);
  const api = spawn(
    'node',
    [
      join(SRC, 'bin', 'kube-apiserver.js'),
      `--etcd-servers=https://127.0.0.1:${ETCD.client}`,
      `--etcd-cafile=${join(work, 'ca.crt')}`,
      `--etcd-certfile=${join(work, 'admin.crt')}`,
      `--etcd-keyfile=${join(work, 'admin.key')}`,
      `--tls-cert-file=${join(work, 'server.crt')}`,
      `--tls-private-key-file=${join(work, 'server.key')}`,
      `--client-ca-file=${join(work, 'ca.crt')}`,
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  procs.push(api);
  await waitFor('the apiserver', async () => (await call('GET', '/readyz')).code === 200);
}, 60_000);

afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'a', image: 'registry.k8s.io/pause:3.10.2', env: [{ name: 'X', value: '1' }] },
          { name: 'b', image: 'registry.k8s.io/pause:3.10.2' },
        ],
      },
    },
  },
};
const node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
};
const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10.2' }] },
});

/** One request and what its answer must hold, in order (later cases see earlier cases' objects). */
interface Case {
  what: string;
  method: string;
  path: string;
  opts?: Parameters<typeof call>[2];
  code: number;
  type?: RegExp;
  body?: Record<string, unknown>;
  check?: (body: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any -- as Reply.body
  /** The Warning headers, exactly. */
  warnings?: string[];
}
const CASES: Case[] = [
  { what: 'legacy /api', method: 'GET', path: '/api', code: 200, body: { kind: 'APIVersions', versions: ['v1'] } },
  {
    what: 'aggregated /api when asked for by Accept',
    method: 'GET',
    path: '/api',
    opts: { accept: AGGREGATED },
    code: 200,
    type: /^application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList$/,
    check: (b) => {
      expect(b).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
      const pods = b.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === 'pods');
      expect(pods).toMatchObject({ scope: 'Namespaced', shortNames: ['po'], responseKind: { kind: 'Pod' } });
      expect(pods.subresources.map((s: { subresource: string }) => s.subresource)).toEqual(['status', 'binding', 'eviction']);
    },
  },
  {
    what: 'aggregated /apis names every group',
    method: 'GET',
    path: '/apis',
    opts: { accept: AGGREGATED },
    code: 200,
    check: (b) =>
      expect(b.items.map((g: { metadata: { name: string } }) => g.metadata.name)).toEqual([
        'apps',
        'coordination.k8s.io',
        'certificates.k8s.io',
        'rbac.authorization.k8s.io',
        'authorization.k8s.io',
      ]),
  },
  {
    what: 'the core resource list',
    method: 'GET',
    path: '/api/v1',
    code: 200,
    check: (b) => {
      expect(b).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
      expect(b.resources.find((r: { name: string }) => r.name === 'pods/eviction')).toMatchObject({
        group: 'policy',
        version: 'v1',
        kind: 'Eviction',
        verbs: ['create'],
      });
      expect(b.resources.find((r: { name: string }) => r.name === 'nodes')).toMatchObject({ namespaced: false, kind: 'Node', shortNames: ['no'] });
    },
  },
  {
    what: 'a group resource list',
    method: 'GET',
    path: '/apis/apps/v1',
    code: 200,
    check: (b) => expect(b.resources.map((r: { name: string }) => r.name)).toContain('deployments'),
  },
  { what: 'a group', method: 'GET', path: '/apis/coordination.k8s.io', code: 200, body: { name: 'coordination.k8s.io', preferredVersion: { version: 'v1' } } },
  { what: 'an unknown group version', method: 'GET', path: '/apis/batch/v1', code: 404, body: { kind: 'Status', reason: 'NotFound', code: 404 } },
  {
    what: 'the OpenAPI v3 index',
    method: 'GET',
    path: '/openapi/v3',
    code: 200,
    check: (b) => expect(b.paths['apis/apps/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/),
  },
  {
    what: "a group-version's OpenAPI: PATCH takes fieldValidation and strategic merge patches",
    method: 'GET',
    path: '/openapi/v3/apis/apps/v1',
    code: 200,
    check: (b) => {
      const patch = b.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
      expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
      expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
      expect(Object.keys(patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    },
  },
  {
    what: "kubectl create ns's protobuf body",
    method: 'POST',
    path: '/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict',
    opts: { body: Buffer.from(CAPTURED.createNamespace, 'base64'), type: PROTOBUF },
    code: 201,
    check: (b) => {
      expect(b).toMatchObject({
        kind: 'Namespace',
        metadata: { name: 'cap', labels: { 'kubernetes.io/metadata.name': 'cap' } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
      expect(b.metadata).not.toHaveProperty('generateName');
    },
  },
  {
    what: "kubectl create cm's protobuf body",
    method: 'POST',
    path: '/api/v1/namespaces/cap/configmaps',
    opts: { body: Buffer.from(CAPTURED.createConfigMap, 'base64'), type: PROTOBUF },
    code: 201,
    body: { metadata: { name: 'x', namespace: 'cap' }, data: { a: 'b' } },
  },
  {
    what: 'a name that exists: AlreadyExists with details',
    method: 'POST',
    path: '/api/v1/namespaces/cap/configmaps',
    opts: { body: { metadata: { name: 'x' } } },
    code: 409,
    body: {
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      code: 409,
      details: { name: 'x', kind: 'configmaps' },
      message: 'configmaps "x" already exists',
    },
  },
  {
    what: 'Table output with the printer columns',
    method: 'GET',
    path: '/api/v1/namespaces',
    opts: { accept: TABLE },
    code: 200,
    check: (b) => {
      expect(b).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
      expect(b.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Status', 'Age']);
      expect(b.rows.find((r: { cells: string[] }) => r.cells[0] === 'cap')).toMatchObject({
        cells: ['cap', 'Active', expect.stringMatching(/^\d+s$/)],
        object: { kind: 'PartialObjectMetadata' },
      });
    },
  },
  { what: 'a node', method: 'POST', path: '/api/v1/nodes', opts: { body: node }, code: 201 },
  {
    what: 'a named get as a Table (nodes: wide columns at priority 1)',
    method: 'GET',
    path: '/api/v1/nodes/n1',
    opts: { accept: TABLE },
    code: 200,
    check: (b) => {
      expect(b.columnDefinitions.filter((c: { priority: number }) => c.priority === 0).map((c: { name: string }) => c.name)).toEqual([
        'Name',
        'Status',
        'Roles',
        'Age',
        'Version',
      ]);
      expect(b.rows[0].cells.slice(0, 3)).toEqual(['n1', 'Ready', 'control-plane']);
    },
  },
  {
    what: "cordon's strategic merge patch",
    method: 'PATCH',
    path: '/api/v1/nodes/n1',
    opts: { body: { spec: { unschedulable: true } }, type: 'application/strategic-merge-patch+json' },
    code: 200,
    body: { spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready' }] } },
  },
  {
    what: 'a server dry run changes nothing',
    method: 'PATCH',
    path: '/api/v1/nodes/n1?dryRun=All',
    opts: { body: { spec: { unschedulable: null } }, type: 'application/strategic-merge-patch+json' },
    code: 200,
    check: (b) => expect(b.spec).not.toHaveProperty('unschedulable'),
  },
  { what: '... as the next read shows', method: 'GET', path: '/api/v1/nodes/n1', code: 200, body: { spec: { unschedulable: true } } },
  {
    what: 'a deployment',
    method: 'POST',
    path: '/apis/apps/v1/namespaces/cap/deployments',
    opts: { body: deployment },
    code: 201,
    body: { metadata: { generation: 1 } },
  },
  {
    what: 'a strategic merge patch merges containers and env by name and bumps the generation',
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/cap/deployments/web',
    opts: {
      type: 'application/strategic-merge-patch+json',
      body: {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'a', env: [{ name: 'Y', value: '2' }] },
                { name: 'b', $patch: 'delete' },
              ],
            },
          },
        },
      },
    },
    code: 200,
    check: (b) => {
      expect(b.spec.template.spec.containers).toEqual([
        {
          name: 'a',
          image: 'registry.k8s.io/pause:3.10.2',
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
        },
      ]);
      expect(b.metadata.generation).toBe(2);
    },
  },
  {
    what: 'a JSON merge patch replaces lists',
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/cap/deployments/web',
    opts: { type: 'application/merge-patch+json', body: { spec: { template: { spec: { containers: [{ name: 'z', image: 'i' }] } } } } },
    code: 200,
    check: (b) => expect(b.spec.template.spec.containers).toEqual([{ name: 'z', image: 'i' }]),
  },
  {
    what: 'a JSON patch',
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/cap/deployments/web',
    opts: {
      type: 'application/json-patch+json',
      body: [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'test', path: '/spec/replicas', value: 3 },
      ],
    },
    code: 200,
    body: { spec: { replicas: 3 } },
  },
  {
    what: 'a JSON patch whose test fails',
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/cap/deployments/web',
    opts: { type: 'application/json-patch+json', body: [{ op: 'test', path: '/spec/replicas', value: 9 }] },
    code: 422,
    body: { kind: 'Status', reason: 'Invalid' },
  },
  {
    what: 'server-side apply is refused as an unsupported media type',
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/cap/deployments/web?fieldManager=x',
    opts: { type: 'application/apply-patch+yaml', body: Buffer.from('spec: {replicas: 1}\n') },
    code: 415,
    body: { kind: 'Status', reason: 'UnsupportedMediaType', code: 415 },
  },
  {
    what: "a group-version's OpenAPI: each kind's schema, tagged with its kind, with upstream's patch and list extensions",
    method: 'GET',
    path: '/openapi/v3/apis/apps/v1',
    code: 200,
    check: (b) => {
      const s = b.components.schemas;
      expect(s['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
      expect(s['io.k8s.api.apps.v1.Deployment'].properties.spec.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }]);
      expect(s['io.k8s.api.apps.v1.DeploymentSpec'].properties.replicas).toMatchObject({ type: 'integer' });
      expect(s['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy['x-kubernetes-patch-strategy']).toBe('retainKeys');
      expect(s['io.k8s.api.core.v1.PodSpec'].properties.containers).toMatchObject({
        type: 'array',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      });
      expect(s['io.k8s.api.core.v1.Container'].properties.ports['x-kubernetes-list-map-keys']).toEqual(['containerPort', 'protocol']);
      expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.finalizers).toMatchObject({
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-patch-strategy': 'merge',
      });
      const post = b.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post;
      expect(post.requestBody.content['*/*'].schema).toEqual({ $ref: '#/components/schemas/io.k8s.api.apps.v1.Deployment' });
    },
  },
  {
    what: "the core OpenAPI: the pods' eviction subresource with the Eviction schema, and Node",
    method: 'GET',
    path: '/openapi/v3/api/v1',
    code: 200,
    check: (b) => {
      expect(b.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind']).toEqual({
        group: 'policy',
        version: 'v1',
        kind: 'Eviction',
      });
      expect(b.components.schemas['io.k8s.api.policy.v1.Eviction']['x-kubernetes-group-version-kind']).toEqual([
        { group: 'policy', version: 'v1', kind: 'Eviction' },
      ]);
      expect(b.components.schemas['io.k8s.api.core.v1.NodeSpec'].properties.podCIDRs['x-kubernetes-list-type']).toBe('set');
      expect(b.components.schemas['io.k8s.api.core.v1.ServiceSpec'].properties.ports['x-kubernetes-patch-merge-key']).toBe('port');
    },
  },
  {
    what: 'fieldValidation=Strict refuses a create with unknown fields, naming each as upstream',
    method: 'POST',
    path: '/apis/apps/v1/namespaces/cap/deployments?fieldValidation=Strict',
    opts: {
      body: {
        ...deployment,
        metadata: { name: 'typo' },
        spec: { ...deployment.spec, replica: 2, template: { ...deployment.spec.template, spec: { containers: [{ name: 'a', imagee: 'x' }] } } },
      },
    },
    code: 400,
    body: {
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      message:
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagee", unknown field "spec.replica"',
    },
  },
  { what: '... and stores nothing', method: 'GET', path: '/apis/apps/v1/namespaces/cap/deployments/typo', code: 404 },
  {
    what: 'without fieldValidation (Warn): the unknown field is dropped and named in a Warning header',
    method: 'POST',
    path: '/api/v1/namespaces/cap/configmaps',
    opts: { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned', labelz: { a: 'b' } }, data: { a: 'b' }, foo: 1 } },
    code: 201,
    warnings: ['299 - "unknown field \\"metadata.labelz\\""', '299 - "unknown field \\"foo\\""'],
    check: (b) => {
      expect(b).not.toHaveProperty('foo');
      expect(b.metadata).not.toHaveProperty('labelz');
      expect(b.data).toEqual({ a: 'b' });
    },
  },
  {
    what: '... as the next read shows',
    method: 'GET',
    path: '/api/v1/namespaces/cap/configmaps/warned',
    code: 200,
    check: (b) => expect(b).not.toHaveProperty('foo'),
  },
  {
    what: 'fieldValidation=Ignore drops unknown fields without a warning',
    method: 'POST',
    path: '/api/v1/namespaces/cap/configmaps?fieldValidation=Ignore',
    opts: { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored' }, foo: 1 } },
    code: 201,
    warnings: [],
    check: (b) => expect(b).not.toHaveProperty('foo'),
  },
  {
    what: 'fieldValidation=Strict refuses an update with an unknown field',
    method: 'PUT',
    path: '/api/v1/namespaces/cap/configmaps/ignored?fieldValidation=Strict',
    opts: { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored' }, dta: { a: 'b' } } },
    code: 400,
    body: { reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta"' },
  },
  {
    what: 'fieldValidation=Strict refuses a strategic merge patch whose result has an unknown field (Invalid, on the field patch)',
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/cap/deployments/web?fieldValidation=Strict',
    opts: { type: 'application/strategic-merge-patch+json', body: { spec: { foo: 'bar' } } },
    code: 422,
    body: {
      reason: 'Invalid',
      message: ' "" is invalid: patch: Invalid value: "map[spec:map[foo:bar]]": strict decoding error: unknown field "spec.foo"',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'patch' }] },
    },
  },
  {
    what: 'a JSON merge patch under Warn drops the unknown field with a warning',
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/cap/deployments/web?fieldValidation=Warn',
    opts: { type: 'application/merge-patch+json', body: { spec: { template: { spec: { hostnetwork: true } } } } },
    code: 200,
    warnings: ['299 - "unknown field \\"spec.template.spec.hostnetwork\\""'],
    check: (b) => expect(b.spec.template.spec).not.toHaveProperty('hostnetwork'),
  },
  {
    what: 'an unsupported fieldValidation value is refused as upstream validates the options',
    method: 'POST',
    path: '/api/v1/namespaces/cap/configmaps?fieldValidation=strict',
    opts: { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } },
    code: 422,
    body: {
      reason: 'Invalid',
      message: 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
    },
  },
  { what: 'a pod on n1', method: 'POST', path: '/api/v1/namespaces/cap/pods', opts: { body: pod('p1') }, code: 201 },
  {
    what: 'an eviction in a server dry run',
    method: 'POST',
    path: '/api/v1/namespaces/cap/pods/p1/eviction',
    opts: { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: 'cap' }, deleteOptions: { dryRun: ['All'] } } },
    code: 201,
    body: { kind: 'Status', status: 'Success' },
  },
  { what: '... leaves the pod', method: 'GET', path: '/api/v1/namespaces/cap/pods/p1', code: 200 },
  {
    what: 'an eviction',
    method: 'POST',
    path: '/api/v1/namespaces/cap/pods/p1/eviction',
    opts: { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: 'cap' } } },
    code: 201,
  },
  {
    what: '... deletes it',
    method: 'GET',
    path: '/api/v1/namespaces/cap/pods/p1',
    code: 404,
    body: { reason: 'NotFound', message: 'pods "p1" not found', details: { name: 'p1', kind: 'pods' } },
  },
  {
    what: "auth can-i '*' '*' (protobuf) as a cluster admin",
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    opts: { body: Buffer.from(CAPTURED.canIAll, 'base64'), type: PROTOBUF },
    code: 201,
    body: { kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: '*', resource: '*' } }, status: { allowed: true } },
  },
  {
    what: "auth can-i '*' '*' as someone without a binding",
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    opts: { body: Buffer.from(CAPTURED.canIAll, 'base64'), type: PROTOBUF, user: 'jane' },
    code: 201,
    body: { status: { allowed: false } },
  },
  {
    what: 'a refusal names the user, verb and resource',
    method: 'GET',
    path: '/api/v1/nodes',
    opts: { user: 'jane' },
    code: 403,
    body: { reason: 'Forbidden', message: 'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope' },
  },
  {
    what: 'deleting a namespace leaves it Terminating first',
    method: 'DELETE',
    path: '/api/v1/namespaces/cap',
    code: 200,
    body: { status: { phase: 'Terminating' } },
  },
  { what: 'kube-system cannot be deleted', method: 'DELETE', path: '/api/v1/namespaces/kube-system', code: 403, body: { reason: 'Forbidden' } },
];

describe('the kube-apiserver stand-in', () => {
  for (const c of CASES) {
    it(c.what, async () => {
      const r = await call(c.method, c.path, c.opts);
      expect({ code: r.code, body: r.body }).toMatchObject({ code: c.code });
      if (c.type) expect(r.type).toMatch(c.type);
      if (c.body) expect(r.body).toMatchObject(c.body);
      c.check?.(r.body);
      if (c.warnings) expect(r.warnings).toEqual(c.warnings);
    });
  }

  it('removes a deleted namespace with its content, and refuses new content meanwhile', async () => {
    await waitFor('namespace cap gone', async () => (await call('GET', '/api/v1/namespaces/cap')).code === 404, 10_000);
    expect((await call('GET', '/apis/apps/v1/namespaces/cap/deployments/web')).code).toBe(404);
    expect((await call('POST', '/api/v1/namespaces/cap/configmaps', { body: { metadata: { name: 'y' } } })).body).toMatchObject({
      code: 404,
      reason: 'NotFound',
    });
  });

  it('watches from a resourceVersion: ADDED, MODIFIED, DELETED; with sendInitialEvents, a bookmark ends the initial list', { timeout: 20_000 }, async () => {
    await call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'w' } } });
    const list = await call('GET', '/api/v1/namespaces/w/configmaps');
    const rv = list.body.metadata.resourceVersion as string;
    const events = await new Promise<{ type: string; object: { metadata: { name: string; annotations?: Record<string, string> } } }[]>((resolve, reject) => {
      const got: { type: string; object: { metadata: { name: string } } }[] = [];
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dc1`,
          ca: readFileSync(join(work, 'ca.crt')),
          cert: readFileSync(join(work, 'admin.crt')),
          key: readFileSync(join(work, 'admin.key')),
        },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            const lines = buf.split('\n');
            buf = lines.pop() ?? '';
            for (const l of lines) if (l.trim()) got.push(JSON.parse(l));
            if (got.length >= 3) {
              req.destroy();
              resolve(got);
            }
          });
        },
      );
      req.on('error', (e) => (got.length >= 3 ? undefined : reject(e)));
      req.end();
      void (async () => {
        await new Promise((r) => setTimeout(r, 300));
        await call('POST', '/api/v1/namespaces/w/configmaps', { body: { metadata: { name: 'other' } } });
        await call('POST', '/api/v1/namespaces/w/configmaps', { body: { metadata: { name: 'c1' }, data: { a: '1' } } });
        await call('PATCH', '/api/v1/namespaces/w/configmaps/c1', { body: { data: { a: '2' } }, type: 'application/merge-patch+json' });
        await call('DELETE', '/api/v1/namespaces/w/configmaps/c1');
      })();
    });
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'c1'],
      ['MODIFIED', 'c1'],
      ['DELETED', 'c1'],
    ]);
    const initial = await new Promise<string[]>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/namespaces/w/configmaps?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan',
          ca: readFileSync(join(work, 'ca.crt')),
          cert: readFileSync(join(work, 'admin.crt')),
          key: readFileSync(join(work, 'admin.key')),
        },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            const lines = buf.split('\n').filter((l) => l.trim());
            const parsed = lines.slice(0, buf.endsWith('\n') ? lines.length : -1).map((l) => JSON.parse(l));
            const end = parsed.findIndex((e) => e.type === 'BOOKMARK');
            if (end >= 0) {
              req.destroy();
              resolve(parsed.slice(0, end + 1).map((e) => `${e.type} ${e.object.metadata.name ?? e.object.metadata.annotations['k8s.io/initial-events-end']}`));
            }
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(initial).toEqual(['ADDED other', 'BOOKMARK true']);
  });
});
