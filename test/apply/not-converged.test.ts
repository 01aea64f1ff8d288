// "Did not converge", actionable: the resource, each artifact with what was wanted and what was
// found, and what to look at next (src/apply/executor.ts notConverged).

import { describe, expect, it } from 'vitest';
import { convergeHint, notConverged } from '../../src/apply/executor.js';
import { attr, fileChange } from '../../src/resources/diff.js';

const change = (attributes: ReturnType<typeof attr>[], files: ReturnType<typeof fileChange>[] = []) => ({
  id: 'os-prep@w1',
  kind: 'os-prep',
  host: 'w1',
  action: 'update' as const,
  attributes,
  files,
  steps: [],
  dependsOn: [],
});

describe('did not converge', () => {
  it('names the resource, each artifact wanted and found, and a next step per artifact', () => {
    const msg = notConverged(
      'os-prep@w1',
      'w1',
      change(
        [attr('sysctl.net.ipv4.ip_forward', '0', '1'), attr('module.br_netfilter', 'absent', 'loaded')],
        [
          fileChange({
            path: '/etc/hosts',
            before: '127.0.0.1 localhost\n',
            after: '127.0.0.1 localhost\n# BEGIN hactl\n10.0.0.21 w1\n# END hactl\n',
            mode: { before: '0600', after: '0644' },
          }),
        ],
      ),
      [],
      [],
    );
    expect(msg.split(' | ')).toEqual([
      'did not converge: os-prep@w1 on w1: sysctl.net.ipv4.ip_forward: wanted "1", found "0"; the kernel on w1 did not keep net.ipv4.ip_forward: another file under /etc/sysctl.d, /run/sysctl.d or /usr/lib/sysctl.d may set it later, or /proc/sys is read-only there; check sysctl net.ipv4.ip_forward',
      'module.br_netfilter: wanted "loaded", found "absent"; br_netfilter did not load on w1: check lsmod, dmesg, and that the module exists for the running kernel',
      'file /etc/hosts differs from what was written (wanted "# BEGIN hactl", wanted "10.0.0.21 w1", wanted "# END hactl") (mode wanted 0644, found 0600); something on w1 rewrites /etc/hosts after hactl wrote it (configuration management, a package\'s script, a timer), or the write did not take: find it (e.g. ls -l --time-style=full-iso /etc/hosts; lsattr /etc/hosts; findmnt -T /etc/hosts), then apply again',
    ]);
  });

  it('a file with many changed lines: the first four wanted, then how many more', () => {
    const msg = notConverged(
      'os-prep@w1',
      'w1',
      change([], [fileChange({ path: '/etc/sysctl.d/99-kubernetes.conf', before: '', after: 'a = 1\nb = 1\nc = 1\nd = 1\ne = 1\n' })]),
      [],
      [],
    );
    expect(msg).toContain(
      'file /etc/sysctl.d/99-kubernetes.conf differs from what was written (wanted "a = 1", wanted "b = 1", wanted "c = 1", wanted "d = 1", 1 more changed lines);',
    );
  });

  it('a sensitive file shows no content, only that it differs', () => {
    const msg = notConverged(
      'lb-keepalived@lb1',
      'lb1',
      change([], [fileChange({ path: '/etc/keepalived/keepalived.conf', before: 'pass=old\n', after: 'pass=new\n', sensitive: true })]),
      [],
      [],
    );
    expect(msg).toContain('file /etc/keepalived/keepalived.conf differs from what was written; something on lb1 rewrites');
    expect(msg).not.toContain('pass=');
  });

  it('has a next step for every kind of artifact the engine manages', () => {
    for (const a of [
      'package.kubelet.version',
      'package.kubelet.held',
      'service.kubelet.active',
      'service.kubelet.enabled',
      'swap.active',
      'hostname',
      'label.tier',
      'taint.dedicated:NoSchedule',
      'cni.daemonsets',
    ]) {
      expect(convergeHint(a, 'w1'), a).not.toMatch(/^run hactl plan/);
    }
    expect(convergeHint('label.tier', 'w1')).toContain("edits the node's labels");
    expect(convergeHint('etcd.member', 'w1')).toBe('run hactl plan to see the difference on w1, fix what keeps it from converging, then apply again');
  });
});
