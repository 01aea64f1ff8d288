// Names observed on hosts (etcd member names and URLs, values read back from an etcd environment
// file) reach shell text and config files: they are refused where they are observed, and the names
// that reach commands are quoted.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEtcdFacts } from '../../src/facts/etcd.js';
import { initialClusterIn, initialClusterOf, installMemberCertsCommand } from '../../src/resources/etcd.js';

const captured = (name: string) => readFileSync(new URL(`../facts/etcd-captures/${name}.txt`, import.meta.url), 'utf8');

const HOSTILE = ['m1"; touch /tmp/pwned; "', 'm1$(reboot)', 'm1`id`', 'm1\nETCD_FOO=1', 'a b', '../../etc/x', "m1'"];

describe('etcd member names observed from a member', () => {
  it.each(HOSTILE)('refuses a member named %j where it is observed', (name) => {
    const text = captured('healthy').replace('"name":"m1"', `"name":${JSON.stringify(name)}`);
    expect(text).not.toBe(captured('healthy'));
    expect(() => parseEtcdFacts(text, 'etcd1')).toThrow(/member \w+ has a name hactl does not accept/);
  });

  it('refuses a peer URL that is not scheme://address:port', () => {
    const text = captured('healthy').replace('"peerURLs":["http://127.0.0.1:32380"]', '"peerURLs":["http://127.0.0.1:32380\\",x=\\"$(id)"]');
    expect(text).not.toBe(captured('healthy'));
    expect(() => parseEtcdFacts(text, 'etcd1')).toThrow(/has a URL hactl does not accept/);
  });

  it('keeps the names etcd really reports', () => {
    expect(parseEtcdFacts(captured('healthy'), 'etcd1').members.map((m) => m.name)).toEqual(['m1', 'm3', 'm2']);
  });
});

describe('ETCD_INITIAL_CLUSTER', () => {
  it('is never built from an unsafe name or URL', () => {
    expect(() => initialClusterOf([{ name: 'm1$(id)', peerURLs: ['https://10.0.0.1:2380'] }])).toThrow(/not an etcd member name/);
    expect(() => initialClusterOf([{ name: 'm1', peerURLs: ['https://10.0.0.1:2380 x'] }])).toThrow(/not an etcd peer URL/);
    expect(
      initialClusterOf([
        { name: 'etcd2', peerURLs: ['https://10.0.0.2:2380'] },
        { name: 'etcd1', peerURLs: ['https://[fd00::1]:2380'] },
      ]),
    ).toBe('etcd1=https://[fd00::1]:2380,etcd2=https://10.0.0.2:2380');
  });

  it('read back from a host is used only when it has the shape hactl writes', () => {
    expect(initialClusterIn('ETCD_INITIAL_CLUSTER="etcd1=https://10.0.0.1:2380"\nETCD_INITIAL_CLUSTER_STATE="new"\n')).toEqual({
      state: 'new',
      cluster: 'etcd1=https://10.0.0.1:2380',
    });
    expect(initialClusterIn('ETCD_INITIAL_CLUSTER="etcd1=https://10.0.0.1:2380,$(reboot)=x"\nETCD_INITIAL_CLUSTER_STATE="new"\n')).toBeUndefined();
    expect(initialClusterIn('ETCD_INITIAL_CLUSTER="e`id`=https://10.0.0.1:2380"\nETCD_INITIAL_CLUSTER_STATE="existing"\n')).toBeUndefined();
  });
});

describe('member names in commands', () => {
  it('are quoted in the certificate install', () => {
    const cmd = installMemberCertsCommand('etcd1$(id)');
    expect(cmd).toContain(`"$t"/'members/etcd1$(id).crt'`);
    expect(cmd).toContain(`"$t"/'members/etcd1$(id).key'`);
    expect(cmd).not.toContain('"$t/members/etcd1$(id)');
  });
});
