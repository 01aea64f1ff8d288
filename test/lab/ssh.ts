// Running commands on lab hosts through the system OpenSSH client, host keys strictly checked.
import { spawn } from 'node:child_process';
import { clientKeyFile, knownHostsFile } from './paths.js';
import { readLabState } from './state.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function sshArgs(address: string, connectTimeoutSeconds = 5): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    clientKeyFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    `ConnectTimeout=${connectTimeoutSeconds}`,
    '-o',
    'LogLevel=ERROR',
    `root@${address}`,
  ];
}

/** A host by name or address, from the running lab. */
export function hostAddressOf(host: string): string {
  const state = readLabState();
  const found = state?.hosts.find((h) => h.name === host || h.address === host);
  if (!found) throw new Error(`no lab host ${JSON.stringify(host)} (is the lab up?)`);
  return found.address;
}

export function sshExecAddress(address: string, command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('ssh', [...sshArgs(address), '--', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (sig ? 255 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs `command` on a lab host (name or address) as root; resolves with its exit code and output. */
export function sshExec(host: string, command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return sshExecAddress(hostAddressOf(host), command, opts);
}
