// The operations apply runs on a host, as data: a command, a file written, or files uploaded and
// then a command, each with the effects it has in fact terms. Kinds state them (desired.ts); the
// engine (converge.ts) derives them from differences; the executor carries them out.

import type { SecretField } from '../transport/sensitive.js';

/** What an operation changes on the host, in fact terms (apply's verify and the tests read it). */
export type Effect =
  | { type: 'package'; name: string; version?: string; held?: boolean }
  | { type: 'file'; path: string; content: string | null; mode?: number; owner?: string; group?: string }
  | { type: 'unit'; name: string; enabled?: boolean; active?: boolean; masked?: false }
  | { type: 'sysctl'; key: string; value: string }
  | { type: 'module'; name: string }
  | { type: 'swapoff' }
  | { type: 'hostname'; name: string }
  /** kubeadm wrote these under /etc/kubernetes (names as in KubernetesFacts.confFiles and .manifests). */
  | { type: 'kubernetes'; confFiles?: string[]; manifests?: string[] }
  /** A certificate (with its key beside it) now exists at `path`, valid for `days`. */
  | { type: 'certificate'; path: string; days: number };

interface OperationBase {
  /** One line for the plan's steps and apply's log; never a secret. */
  description: string;
  /** The operation carries a secret (a file's content): apply never logs it. */
  sensitive?: boolean;
  /** Fields of the file it handles that hold secrets: masked in what the step prints, should it fail. */
  secretFields?: SecretField[];
  effects: Effect[];
}
export interface CommandOperation extends OperationBase {
  command: string;
  /**
   * Run on this spec host instead of the resource's own (e.g. `kubeadm token create` on the first
   * control-plane host for a join). Commands using it guard themselves so that they fail, never
   * act, where they are run on the wrong host.
   */
  runOn?: string;
  /** Keep the command's stdout, unlogged and masked as a secret, under this name for a later step. */
  captureAs?: string;
  /** Feed the output captured under this name to the command's standard input. */
  stdinFrom?: string;
}
export interface WriteFileOperation extends OperationBase {
  writeFile: { path: string; content: string; mode: number; owner?: string; group?: string };
}
/**
 * Copies local files to the host over SFTP, each only when the host does not already have it with
 * the same sha256, then runs `command` there (which checks what arrived). Paths are relative to
 * both directories and come from a checked bundle.json (src/resources/bundle-format.ts BUNDLE_PATH).
 */
export interface UploadOperation extends CommandOperation {
  upload: { localDir: string; remoteDir: string; files: { path: string; size: number; sha256: string }[] };
}
export type Operation = CommandOperation | WriteFileOperation | UploadOperation;
