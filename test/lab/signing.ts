// The lab's signing key for its pkgs.k8s.io-style repositories: one gpg key made once and kept in
// the lab cache beside the mirrors (so rebuilt mirrors keep the key hosts already trust), used to
// write InRelease and Release.gpg as the real repositories have them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { cacheDir } from './paths.js';

const keyDir = join(cacheDir, 'kubernetes-signing-key');
const home = join(keyDir, 'gnupg');
const publicKeyFile = join(keyDir, 'Release.key');
const fingerprintFile = join(keyDir, 'fingerprint');
const UID = 'hactl lab Kubernetes packages <lab@hactl.invalid>';

function gpgEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GNUPGHOME: home };
}

/** gpg starts an agent for its home on first use; it must not outlive the lab command. */
async function stopAgent(): Promise<void> {
  await run('gpgconf', ['--kill', 'all'], { env: gpgEnv(), allowFailure: true });
}

/** The key's fingerprint, or undefined before the key exists. */
export function signingKeyFingerprint(): string | undefined {
  return existsSync(fingerprintFile) ? readFileSync(fingerprintFile, 'utf8').trim() : undefined;
}

/** Makes the key when there is none; returns the path of its ASCII-armored public key. */
export async function ensureSigningKey(): Promise<string> {
  if (signingKeyFingerprint() !== undefined && existsSync(publicKeyFile)) return publicKeyFile;
  rmSync(keyDir, { recursive: true, force: true });
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    // No passphrase: it signs a test mirror on this machine only.
    await run('gpg', ['--batch', '--quiet', '--passphrase', '', '--quick-generate-key', UID, 'rsa3072', 'sign', 'never'], { env: gpgEnv() });
    const { stdout } = await run('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env: gpgEnv() });
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)?.[1];
    if (!fpr) throw new Error(`gpg made no key: ${stdout}`);
    const pub = await run('gpg', ['--batch', '--armor', '--export', fpr], { env: gpgEnv() });
    writeFileSync(publicKeyFile, pub.stdout);
    // Last: the fingerprint file marks a complete key.
    writeFileSync(fingerprintFile, `${fpr}\n`);
  } finally {
    await stopAgent();
  }
  return publicKeyFile;
}

/** Writes `InRelease` (clear-signed) and `Release.gpg` (detached) beside `dir/Release`. */
export async function signRelease(dir: string): Promise<void> {
  const fpr = signingKeyFingerprint();
  if (!fpr) throw new Error('no lab signing key');
  const common = ['--batch', '--yes', '--quiet', '--local-user', fpr, '--digest-algo', 'SHA512'];
  try {
    await run('gpg', [...common, '--clearsign', '--output', join(dir, 'InRelease'), join(dir, 'Release')], { env: gpgEnv() });
    await run('gpg', [...common, '--armor', '--detach-sign', '--output', join(dir, 'Release.gpg'), join(dir, 'Release')], { env: gpgEnv() });
  } finally {
    await stopAgent();
  }
}
