// Dependency resolution as data: a Packages index in, the package set out.
import { describe, expect, it } from 'vitest';
import { parseDpkgStatus, parsePackagesIndex, parseRelations } from '../../src/bundle/apt-index.js';
import { resolvePackages } from '../../src/bundle/resolve.js';

const stanza = (name: string, version: string, extra = '', arch = 'amd64') =>
  `Package: ${name}\nVersion: ${version}\nArchitecture: ${arch}\n${extra}Filename: pool/${name}_${version}_${arch}.deb\nSize: 10\nSHA256: ${'a'.repeat(64)}\nPriority: optional\n`;

const INDEX = [
  stanza('kubeadm', '1.35.3-1.1', 'Depends: cri-tools (>= 1.35.0), nodejs (>= 18), openssl\n'),
  stanza('kubeadm', '1.35.4-1.1', 'Depends: cri-tools (>= 1.35.0), nodejs (>= 18), openssl\n'),
  stanza('kubeadm', '1.36.1-1.1', 'Depends: cri-tools (>= 1.36.0)\n'),
  stanza('cri-tools', '1.34.0-1.1'),
  stanza('cri-tools', '1.35.1-1.1'),
  stanza('nodejs', '18.19.0+dfsg-6~deb11u1', 'Pre-Depends: libc6 (>= 2.34)\nDepends: libnode108 (= 18.19.0+dfsg-6~deb11u1)\n'),
  stanza('nodejs', '16.0-1'),
  stanza('libnode108', '18.19.0+dfsg-6~deb11u1', 'Depends: libuv1 (>= 1.44) | libuv-compat, zlib1g\n'),
  stanza('libuv1', '1.44.2-1'),
  stanza('libuv-compat', '1.0-1'),
  stanza('openssl', '3.0.15-1~deb12u1', 'Depends: libssl3 (>= 3.0.9), mail-transport-agent\n'),
  stanza('libssl3', '3.0.15-1~deb12u1', 'Depends: debconf (>= 0.5) | debconf-2.0\n'),
  stanza('postfix', '3.7.11-0+deb12u1', 'Provides: mail-transport-agent\n'),
  stanza('cdebconf', '0.270', 'Provides: debconf-2.0\n'),
  'Package: libc6\nVersion: 2.36-9+deb12u9\nArchitecture: amd64\nFilename: pool/libc6.deb\nSize: 1\nSHA256: ' + 'b'.repeat(64) + '\nPriority: required\n',
  'Package: zlib1g\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nEssential: yes\nFilename: pool/zlib1g.deb\nSize: 1\nSHA256: ' +
    'c'.repeat(64) +
    '\nPriority: optional\n',
  stanza('arm-only', '1.0', '', 'arm64'),
  stanza('tzdata', '2024a-0+deb12u1', '', 'all'),
].join('\n');

const index = parsePackagesIndex(INDEX, 'amd64', 'test index');
const names = (r: ReturnType<typeof resolvePackages>) => r.packages.map((p) => `${p.name}=${p.version}`);

describe('resolving what a bundle carries', () => {
  it("takes the kind's version glob, the newest fitting dependency, the first satisfiable alternative and a Provides; leaves out Essential and required packages", () => {
    const r = resolvePackages(index, [{ name: 'kubeadm', version: '1.35.4-*', wantedBy: 'kube-packages@cp1' }]);
    expect(r.errors).toEqual([]);
    expect(names(r)).toEqual([
      'cdebconf=0.270',
      'cri-tools=1.35.1-1.1',
      'kubeadm=1.35.4-1.1',
      'libnode108=18.19.0+dfsg-6~deb11u1',
      'libssl3=3.0.15-1~deb12u1',
      'libuv1=1.44.2-1',
      'nodejs=18.19.0+dfsg-6~deb11u1',
      'openssl=3.0.15-1~deb12u1',
      'postfix=3.7.11-0+deb12u1',
    ]);
    expect(r.base).toEqual(['libc6', 'zlib1g']);
  });

  it('a package only for another architecture is not offered; `all` is', () => {
    expect(index.map((p) => p.name)).not.toContain('arm-only');
    expect(resolvePackages(index, [{ name: 'tzdata', wantedBy: 'x' }]).packages.map((p) => p.architecture)).toEqual(['all']);
  });

  it('a wanted version no source has: an error naming the package, who wants it and what is offered', () => {
    const r = resolvePackages(index, [{ name: 'kubeadm', version: '1.34.8-*', wantedBy: 'kube-packages@cp1' }]);
    expect(r.errors).toEqual(['kubeadm 1.34.8-* (wanted by kube-packages@cp1) is not in any source (offered: 1.36.1-1.1, 1.35.4-1.1, 1.35.3-1.1)']);
  });

  it('a dependency no source has: an error naming it and who needs it', () => {
    const idx = parsePackagesIndex(stanza('a', '1', 'Depends: b (>= 2) | c\n') + '\n' + stanza('b', '1'), 'amd64', 'i');
    expect(resolvePackages(idx, [{ name: 'a', wantedBy: 'x' }]).errors).toEqual(['b (>= 2) | c, needed by a 1, is not in any source (offered: 1)']);
  });

  it("what the hosts' base image has installed at a fitting version is left out (dpkg status)", () => {
    const status = parseDpkgStatus(
      'Package: libuv1\nStatus: install ok installed\nVersion: 1.44.2-1\n\nPackage: openssl\nStatus: deinstall ok config-files\nVersion: 3.0.0-1\n\nPackage: postfix\nStatus: install ok installed\nVersion: 3.7\nProvides: mail-transport-agent\n',
      'amd64',
    );
    expect(status.map((p) => p.name)).toEqual(['libuv1', 'postfix']);
    const r = resolvePackages(index, [{ name: 'kubeadm', version: '1.35.4-*', wantedBy: 'k' }], status);
    expect(names(r)).not.toContain('libuv1=1.44.2-1');
    expect(names(r)).not.toContain('postfix=3.7.11-0+deb12u1');
    expect(names(r)).toContain('openssl=3.0.15-1~deb12u1');
    expect(r.base).toEqual(['libc6', 'libuv1', 'mail-transport-agent', 'zlib1g']);
  });

  it('the same package at two versions for two resources: an error, not a silent pick', () => {
    const r = resolvePackages(index, [
      { name: 'kubeadm', version: '1.35.4-*', wantedBy: 'kube-packages@cp1' },
      { name: 'kubeadm', version: '1.36.1-*', wantedBy: 'upgrade-worker@w1' },
    ]);
    expect(r.errors).toEqual(['kubeadm is wanted at 1.36.1-* (by upgrade-worker@w1) but 1.35.4-1.1 was already chosen']);
  });

  it('relations: arch qualifiers, architecture restrictions and alternatives', () => {
    expect(parseRelations('python3:any (>= 3.9~), libfoo [!amd64], libbar [amd64] | libbaz, libqux <!nocheck>', 'amd64')).toEqual([
      [{ name: 'python3', relation: '>=', version: '3.9~' }],
      [{ name: 'libbar' }, { name: 'libbaz' }],
      [{ name: 'libqux' }],
    ]);
    expect(() => parseRelations('bad name!', 'amd64')).toThrow(/cannot read the relation/);
  });
});
