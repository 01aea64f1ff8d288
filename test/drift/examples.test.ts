// examples/ci: every YAML file parses, each automation does what its comment says, and every
// hactl command line in them uses commands and flags hactl really has.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from '@oclif/core';
import { parseAllDocuments, parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DRIFT_MARKDOWN_MARKER } from '../../src/drift/render.js';
import { loadSpec } from '../../src/spec/index.js';
import { MARKDOWN_MARKER } from '../../src/views/markdown.js';

/** The parts of the example's Kubernetes objects this test reads. */
interface K8sDoc {
  kind: string;
  metadata: { name: string };
  data: Record<string, string>;
  stringData: Record<string, string>;
  spec: {
    concurrencyPolicy: string;
    jobTemplate: {
      spec: {
        template: {
          spec: {
            volumes: { name: string; secret?: { secretName: string } }[];
            containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
          };
        };
      };
    };
  };
}

const ROOT = new URL('../../examples/ci/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
const ALL = files(ROOT);
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');
const yamlFiles = ALL.filter((f) => /\.ya?ml$/.test(f));

/** `hactl <command> <args…>` in shell lines, systemd ExecStart= lines and container args. */
function hactlCommandLines(): { file: string; argv: string[] }[] {
  const out: { file: string; argv: string[] }[] = [];
  for (const f of ALL) {
    const text = readFileSync(f, 'utf8');
    for (const line of text.split('\n')) {
      if (/^\s*#/.test(line)) continue;
      const m = /(?:^|[\s/])hactl ((?:validate|plan|apply|drift|facts|graph|force-unlock)\b.*)$/.exec(line);
      if (m) out.push({ file: relative(ROOT, f), argv: m[1]!.replace(/\s*[>|&].*$/, '').match(/"[^"]*"|'[^']*'|\S+/g)! });
    }
    if (/\.ya?ml$/.test(f)) {
      for (const doc of parseAllDocuments(text)) {
        const js = doc.toJS() as { kind?: string; spec?: { jobTemplate?: { spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } } } } };
        for (const c of js?.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []) if (c.args) out.push({ file: relative(ROOT, f), argv: c.args });
      }
    }
  }
  return out;
}

async function commandFlags(name: string): Promise<Set<string>> {
  const mod = (await import(`../../src/commands/${name}.ts`)) as { default: typeof Command };
  const flags = mod.default.flags ?? {};
  const out = new Set<string>();
  for (const [long, def] of Object.entries(flags)) {
    out.add(`--${long}`);
    const char = (def as { char?: string }).char;
    if (char) out.add(`-${char}`);
  }
  return out;
}

describe('examples/ci', () => {
  it('has the four automations', () => {
    expect(ALL.map((f) => relative(ROOT, f)).sort()).toEqual(
      expect.arrayContaining([
        'github/hactl-plan.yml',
        'github/hactl-drift.yml',
        'systemd/hactl-drift.service',
        'systemd/hactl-drift.timer',
        'kubernetes/drift-cronjob.yaml',
      ]),
    );
  });

  it('every YAML file parses', () => {
    expect(yamlFiles.length).toBeGreaterThanOrEqual(3);
    for (const f of yamlFiles) {
      for (const doc of parseAllDocuments(readFileSync(f, 'utf8')))
        expect(
          doc.errors.map((e) => e.message),
          f,
        ).toEqual([]);
    }
  });

  it('every hactl command line uses real commands and flags', async () => {
    const lines = hactlCommandLines();
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const { file, argv } of lines) {
      const [command, ...args] = argv;
      const known = await commandFlags(command!);
      for (const a of args.filter((x) => x.startsWith('-'))) expect(known, `${file}: hactl ${argv.join(' ')}: ${a}`).toContain(a.replace(/=.*$/, ''));
    }
  });

  it('the pull-request workflow validates, plans as markdown and keeps one comment found by the marker', () => {
    const wf = parse(read('github/hactl-plan.yml')) as {
      on: Record<string, unknown>;
      jobs: Record<string, { steps: { run?: string; with?: { script?: string } }[] }>;
    };
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    const steps = Object.values(wf.jobs)[0]!.steps;
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/hactl validate -f/);
    expect(runs).toMatch(/hactl plan -f "\$SPEC" -o markdown --detailed-exitcode/);
    const script = steps.map((s) => s.with?.script ?? '').join('\n');
    expect(script).toContain(`'${MARKDOWN_MARKER}'`);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
  });

  it('the scheduled workflow runs drift and opens, updates or closes one issue', () => {
    const wf = parse(read('github/hactl-drift.yml')) as {
      on: { schedule: { cron: string }[] };
      jobs: Record<string, { steps: { run?: string; with?: { script?: string } }[] }>;
    };
    expect(wf.on.schedule[0]!.cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    const steps = Object.values(wf.jobs)[0]!.steps;
    expect(steps.map((s) => s.run ?? '').join('\n')).toMatch(/hactl drift -f "\$SPEC" -o markdown/);
    const script = steps.map((s) => s.with?.script ?? '').join('\n');
    expect(script).toContain(`'${DRIFT_MARKDOWN_MARKER}'`);
    for (const call of ['issues.create(', 'issues.update(', "state: 'closed'"]) expect(script).toContain(call);
  });

  it('the systemd timer starts the oneshot drift service', () => {
    const service = read('systemd/hactl-drift.service');
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(service).toMatch(/^ExecStart=\/usr\/local\/bin\/hactl drift -f \/etc\/hactl\/cluster\.yaml /m);
    expect(service).toMatch(/--webhook-secret-env HACTL_WEBHOOK_SECRET/);
    const timer = read('systemd/hactl-drift.timer');
    expect(timer).toMatch(/^OnCalendar=\S+$/m);
    expect(timer).toMatch(/^WantedBy=timers\.target$/m);
  });

  it('the CronJob never overlaps, mounts the SSH Secret where its spec looks, and the spec is valid', () => {
    const docs = parseAllDocuments(read('kubernetes/drift-cronjob.yaml')).map((d) => d.toJS()) as K8sDoc[];
    const cron = docs.find((d) => d.kind === 'CronJob')!;
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const ssh = pod.volumes.find((v) => v.secret?.secretName === 'hactl-ssh')!;
    const mount = pod.containers[0]!.volumeMounts.find((m) => m.name === ssh.name)!;
    const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === 'hactl-ssh')!;
    expect(Object.keys(secret.stringData).sort()).toEqual(['id_ed25519', 'known_hosts']);
    const specText = docs.find((d) => d.kind === 'ConfigMap')!.data['cluster.yaml'] as string;
    const loaded = loadSpec(specText, 'cluster.yaml');
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(loaded.spec!.ssh.privateKeyFile).toBe(`${mount.mountPath}/id_ed25519`);
    expect(loaded.spec!.ssh.knownHostsFile).toBe(`${mount.mountPath}/known_hosts`);
    expect(pod.containers[0]!.args.slice(0, 3)).toEqual([
      'drift',
      '-f',
      `${pod.containers[0]!.volumeMounts.find((m) => m.name === 'spec')!.mountPath}/cluster.yaml`,
    ]);
  });
});
