// The /readyz gate with a scripted probing host, and the progress output.

import { describe, expect, it } from 'vitest';
import { Progress, countApplied, eventLine, formatDuration, renderSummary } from '../../src/apply/progress.js';
import { NotReadyError, judgeReadyz, readyzCommand, waitForReadyz } from '../../src/apply/readyz.js';
import { parseDuration } from '../../src/apply/duration.js';
import type { ExecResult } from '../../src/transport/transport.js';
import type { WalkEvent } from '../../src/apply/walker.js';

const res = (stdout: string, code = 0, stderr = ''): ExecResult => ({ code, stdout, stderr, durationMs: 1 });

describe('waitForReadyz', () => {
  it('polls through the probing host until the apiserver answers 200 ok', async () => {
    const answers = [res('', 7, 'curl: (7) Failed to connect'), res('[-]etcd failed: reason withheld\nreadyz check failed\n500'), res('ok\n200')];
    const cmds: string[] = [];
    await waitForReadyz({ exec: async (c) => (cmds.push(c), answers.shift()!) }, { host: '198.18.0.100', port: 6443 }, { intervalMs: 1, timeoutMs: 5000 });
    expect(cmds).toEqual(Array(3).fill(readyzCommand({ host: '198.18.0.100', port: 6443 })));
    expect(cmds[0]).toContain("curl -sk --max-time 5 -w '\\n%{http_code}' https://198.18.0.100:6443/readyz");
    expect(answers).toEqual([]);
  });

  it('gives up at the timeout with the last answer', async () => {
    const started = Date.now();
    const err = await waitForReadyz(
      { exec: async () => res('[-]etcd failed\nreadyz check failed\n500') },
      { host: 'api.example', port: 8443 },
      { intervalMs: 20, timeoutMs: 150 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotReadyError);
    expect((err as Error).message).toMatch(
      /^the apiserver did not become ready at https:\/\/api\.example:8443\/readyz within 0 s \(last answer: HTTP 500: \[-\]etcd failed \| readyz check failed\)$/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('counts a transport error as not ready, and stops when told to', async () => {
    const stop = new AbortController();
    let n = 0;
    const p = waitForReadyz(
      {
        exec: async () => {
          if (++n === 2) stop.abort();
          throw new Error('cp1: connection lost');
        },
      },
      { host: 'fd00::10', port: 6443 },
      { intervalMs: 5, signal: stop.signal },
    );
    await expect(p).rejects.toThrow('stopped while waiting for https://[fd00::10]:6443/readyz (last answer: cp1: connection lost)');
  });

  it('judges only 200 with body ok as ready', () => {
    expect(judgeReadyz(res('ok\n200'))).toEqual({ ready: true });
    expect(judgeReadyz(res('ok\n500'))).toEqual({ ready: false, answer: 'HTTP 500: ok' });
    expect(judgeReadyz(res('Forbidden\n403'))).toEqual({ ready: false, answer: 'HTTP 403: Forbidden' });
    expect(judgeReadyz(res('\n000', 28, 'timeout'))).toEqual({ ready: false, answer: 'the probe exited 28: timeout' });
    expect(readyzCommand({ host: "x'; rm -rf /", port: 1 })).toContain(`'https://x'\\''; rm -rf /:1/readyz'`);
  });
});

const ev = (e: Partial<WalkEvent> & { type: WalkEvent['type']; id: string }, at: number): WalkEvent =>
  ({ at, durationMs: 1500, error: 'boom', because: ['a@h1'], ...e }) as unknown as WalkEvent;
const T0 = Date.parse('2026-11-22T09:00:00Z');

describe('the /readyz probe command', () => {
  // Run by a real shell with stub tools on PATH: curl where there is one, else kubectl with admin.conf.
  const run = async (tools: Record<string, string>) => {
    const { mkdtempSync, writeFileSync, chmodSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spawnSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'hactl-readyz-'));
    try {
      for (const [name, body] of Object.entries(tools)) {
        writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(dir, name), 0o755);
      }
      const r = spawnSync('/bin/sh', ['-c', readyzCommand({ host: '198.18.0.100', port: 6443 })], { env: { PATH: dir }, encoding: 'utf8' });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, durationMs: 1 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('uses curl when the host has it', async () => {
    const r = await run({ curl: 'printf "%s\\n" "$*" >&2; printf "ok\\n200"', kubectl: 'exit 99' });
    expect(judgeReadyz(r)).toEqual({ ready: true });
    expect(r.stderr).toBe('-sk --max-time 5 -w \\n%{http_code} https://198.18.0.100:6443/readyz\n');
  });

  it('falls back to kubectl with admin.conf at the endpoint, judged the same way', async () => {
    const ok = await run({ kubectl: 'echo "$@" >&2; echo ok' });
    expect(judgeReadyz(ok)).toEqual({ ready: true });
    expect(ok.stderr).toBe('--kubeconfig /etc/kubernetes/admin.conf --server https://198.18.0.100:6443 --request-timeout=5s get --raw /readyz\n');
    const down = await run({
      kubectl:
        'echo "Error from server (InternalError): an error on the server (\\"[-]etcd failed: reason withheld\\") has prevented the request from succeeding" >&2; exit 1',
    });
    expect(judgeReadyz(down)).toEqual({
      ready: false,
      answer:
        'the probe exited 1: Error from server (InternalError): an error on the server ("[-]etcd failed: reason withheld") has prevented the request from succeeding',
    });
    const neither = await run({});
    expect(judgeReadyz(neither)).toMatchObject({ ready: false, answer: expect.stringMatching(/^the probe exited 127: .*kubectl.*not found/) });
  });
});

describe('progress', () => {
  it('without a terminal, writes one line per event', () => {
    let out = '';
    const p = new Progress({ out: { write: (s: string) => (out += s), isTTY: false }, hostOf: (id) => id.split('@')[1]!, hosts: ['h1', 'h2'], now: () => T0 });
    p.start();
    p.onEvent(ev({ type: 'started', id: 'os-prep@h1' }, T0));
    p.onStep('os-prep@h1', 'write /etc/hosts');
    p.onEvent(ev({ type: 'succeeded', id: 'os-prep@h1', durationMs: 2300 }, T0 + 2300));
    p.onEvent(ev({ type: 'failed', id: 'containerd@h2', durationMs: 61_000, error: 'did not converge: x' }, T0 + 61_000));
    p.onEvent(ev({ type: 'skipped', id: 'kube-packages@h2', because: ['containerd@h2'] }, T0 + 61_000));
    p.onEvent(ev({ type: 'cancelled', id: 'lb@h2' }, T0 + 61_000));
    p.note('SIGINT: starting nothing new');
    p.stop();
    expect(out).toBe(
      [
        '09:00:00 h1: os-prep@h1: started',
        '09:00:02 h1: os-prep@h1: done (2.3s)',
        '09:01:01 h2: containerd@h2: FAILED (1m01s): did not converge: x',
        '09:01:01 h2: kube-packages@h2: skipped (because containerd@h2 failed)',
        '09:01:01 h2: lb@h2: cancelled',
        '09:00:00 SIGINT: starting nothing new',
        '',
      ].join('\n'),
    );
    expect(out).not.toContain('\x1b[');
  });

  it('on a terminal, redraws a per-host view in place with elapsed times and the current step', () => {
    let out = '';
    let now = T0;
    const p = new Progress({
      out: { write: (s: string) => (out += s), isTTY: true, rows: 40, columns: 200 },
      hostOf: (id) => id.split('@')[1]!,
      hosts: ['h1', 'h2'],
      now: () => now,
    });
    p.onEvent(ev({ type: 'started', id: 'os-prep@h1' }, T0));
    p.onEvent(ev({ type: 'started', id: 'containerd@h2' }, T0));
    p.onStep('containerd@h2', 'install containerd (apt)');
    now = T0 + 4200;
    p.onEvent(ev({ type: 'succeeded', id: 'os-prep@h1', durationMs: 4200 }, now));
    expect(p.frame()).toEqual([
      'Applying: 1 running, 4.2s elapsed',
      'h1',
      '  ✓ os-prep@h1       4.2s',
      'h2',
      '  ⠿ containerd@h2    4.2s  install containerd (apt)',
    ]);
    // Each redraw moves up over the previous frame and clears it.
    expect(out).toContain('\x1b[3A\x1b[J');
    expect(out.endsWith(p.frame().join('\n') + '\n')).toBe(true);
    p.stop();
  });

  it('summarises as Terraform does', () => {
    const plan = {
      changes: [
        { id: 'a', action: 'create' },
        { id: 'b', action: 'update' },
        { id: 'c', action: 'replace' },
        { id: 'd', action: 'no-op' },
        { id: 'e', action: 'read' },
        { id: 'f', action: 'create' },
      ],
    } as Parameters<typeof countApplied>[0];
    expect(countApplied(plan, ['a', 'b', 'c', 'd', 'e'])).toEqual({ added: 2, changed: 1, destroyed: 1 });
    expect(renderSummary({ succeeded: ['a', 'b'], failed: [], skipped: [], cancelled: [] }, plan)).toBe(
      'Succeeded (2):\n  a\n  b\n\nApply complete! Resources: 1 added, 1 changed, 0 destroyed.\n',
    );
    expect(renderSummary({ succeeded: ['a'], failed: [{ id: 'f', error: 'boom' }], skipped: [{ id: 'g', because: ['f'] }], cancelled: ['h'] }, plan)).toBe(
      'Succeeded (1):\n  a\nFailed (1):\n  f: boom\nSkipped (1):\n  g (because f failed)\nCancelled (1):\n  h\n\nApply failed. Resources applied before it stopped: 1 added, 0 changed, 0 destroyed.\n',
    );
    expect(formatDuration(999)).toBe('1.0s');
    expect(formatDuration(3_725_000)).toBe('62m05s');
    expect(eventLine(ev({ type: 'started', id: 'x@h' }, T0), 'h')).toBe('09:00:00 h: x@h: started');
  });

  it('parses durations', () => {
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('45')).toBe(45_000);
    expect(() => parseDuration('10 minutes')).toThrow(/not a duration/);
    expect(() => parseDuration('5x')).toThrow(/not a duration/);
  });
});
