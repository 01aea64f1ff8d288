import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KnownHosts, entryMatches, fingerprint, hostKeyAlgorithms, keyTypeOfBlob, knownHostsName, parseKnownHosts } from '../../src/transport/known-hosts.js';
import { newKey, publicBlob } from './ssh-server.js';

const k1 = newKey();
const k2 = newKey();
const ec = newKey('ecdsa');
const b64 = (pub: string) => pub.split(' ')[1]!;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts parsing and verification', () => {
  it('names hosts as OpenSSH does', () => {
    expect(knownHostsName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('computes OpenSSH SHA256 fingerprints and key types from blobs', () => {
    const blob = publicBlob(k1.public);
    expect(keyTypeOfBlob(blob)).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(publicBlob(ec.public))).toBe('ecdsa-sha2-nistp256');
    expect(fingerprint(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('parses comments, markers, comma lists and skips corrupt lines', () => {
    const text = [
      '# comment',
      '',
      `a.example,10.0.0.1 ssh-ed25519 ${b64(k1.public)} user@host`,
      `@revoked * ssh-ed25519 ${b64(k2.public)}`,
      `@cert-authority *.example ssh-ed25519 ${b64(k2.public)}`,
      `@weird x ssh-ed25519 ${b64(k2.public)}`,
      `bad ssh-rsa ${b64(k1.public)}`, // blob says ed25519
      'truncated ssh-ed25519',
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.marker, e.patterns, e.line])).toEqual([
      [undefined, ['a.example', '10.0.0.1'], 3],
      ['revoked', ['*'], 4],
      ['cert-authority', ['*.example'], 5],
    ]);
  });

  it('matches wildcards, negations, ports and hashed names', () => {
    const [e] = parseKnownHosts(`*.lab,!bad.lab,[10.0.0.9]:2222 ssh-ed25519 ${b64(k1.public)}`);
    expect(entryMatches(e!, 'node1.lab')).toBe(true);
    expect(entryMatches(e!, 'bad.lab')).toBe(false);
    expect(entryMatches(e!, '[10.0.0.9]:2222')).toBe(true);
    expect(entryMatches(e!, '10.0.0.9')).toBe(false);
    const [h] = parseKnownHosts(`${hashed('[198.18.0.11]:22')} ssh-ed25519 ${b64(k1.public)}`);
    expect(entryMatches(h!, '[198.18.0.11]:22')).toBe(true);
    expect(entryMatches(h!, '198.18.0.11')).toBe(false);
  });

  it('verifies: ok, mismatch with expected fingerprints, unknown, revoked', () => {
    const kh = new KnownHosts(
      '/dev/null',
      parseKnownHosts(
        [
          `h1 ssh-ed25519 ${b64(k1.public)}`,
          `h1 ecdsa-sha2-nistp256 ${b64(ec.public)}`,
          `${hashed('h2')} ssh-ed25519 ${b64(k2.public)}`,
          `@revoked h3 ssh-ed25519 ${b64(k1.public)}`,
          `h3 ssh-ed25519 ${b64(k1.public)}`,
        ].join('\n'),
      ),
    );
    expect(kh.verify('h1', publicBlob(k1.public)).status).toBe('ok');
    expect(kh.verify('h1', publicBlob(ec.public)).status).toBe('ok');
    expect(kh.verify('h2', publicBlob(k1.public))).toEqual({
      status: 'mismatch',
      fingerprint: fingerprint(publicBlob(k1.public)),
      expected: [fingerprint(publicBlob(k2.public))],
    });
    expect(kh.verify('h9', publicBlob(k1.public)).status).toBe('unknown');
    expect(kh.verify('h3', publicBlob(k1.public)).status).toBe('revoked');
    expect(kh.keyTypesFor('h1')).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  });

  it('asks for the host key algorithms of recorded keys first', () => {
    expect(hostKeyAlgorithms(['ecdsa-sha2-nistp256']).slice(0, 2)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(hostKeyAlgorithms(['ssh-rsa']).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
  });
});
