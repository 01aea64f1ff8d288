#!/usr/bin/env node
// crictl stand-in (cri-tools): asks the container runtime's socket whether it answers and lists the
// static pod containers the kubelet stand-in runs as processes.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseArgs, one, die } from '../lib/args.js';
import { socketAnswers } from '../lib/socket.js';
import { versionInfo } from '../lib/version.js';

const { flags, pos } = parseArgs(process.argv.slice(2), ['version', 'a', 'all', 'q', 'quiet']);
const V = versionInfo();
const out = (s) => process.stdout.write(s + '\n');
let endpoint = one(flags['runtime-endpoint']) || one(flags.r);
if (!endpoint) {
  try {
    endpoint = /runtime-endpoint:\s*(\S+)/.exec(fs.readFileSync('/etc/crictl.yaml', 'utf8'))?.[1];
  } catch {
    /* default below */
  }
}
endpoint ||= 'unix:///run/containerd/containerd.sock';
if (flags.version) {
  out(`crictl version ${V.gitVersion}`);
  process.exit(0);
}

function runtimeVersion() {
  try {
    return /\s(v?\d+\.\d+\.\d+\S*)/.exec(execFileSync('containerd', ['--version']).toString())?.[1] || 'unknown';
  } catch {
    return 'unknown';
  }
}
const unavailable = () =>
  die(
    `E validate service connection: validate CRI v1 runtime API for endpoint "${endpoint}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${endpoint.replace(/^unix:\/\//, '')}: connect: no such file or directory"`,
  );

(async () => {
  const cmd = pos[0];
  if (cmd === 'version') {
    if (!(await socketAnswers(endpoint))) unavailable();
    return out(`Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  ${runtimeVersion()}\nRuntimeApiVersion:  v1`);
  }
  if (cmd === 'info') {
    if (!(await socketAnswers(endpoint))) unavailable();
    const cni = (() => {
      try {
        return fs.readdirSync('/etc/cni/net.d').some((f) => /\.(conf|conflist|json)$/.test(f));
      } catch {
        return false;
      }
    })();
    return out(
      JSON.stringify(
        {
          status: {
            conditions: [
              { type: 'RuntimeReady', status: true, reason: '', message: '' },
              {
                type: 'NetworkReady',
                status: cni,
                reason: cni ? '' : 'NetworkPluginNotReady',
                message: cni ? '' : 'Network plugin returns error: cni plugin not initialized',
              },
            ],
          },
        },
        null,
        2,
      ),
    );
  }
  if (cmd === 'ps') {
    if (!(await socketAnswers(endpoint))) unavailable();
    let rows;
    try {
      rows = JSON.parse(fs.readFileSync('/run/kubelet-standin/containers.json', 'utf8'));
    } catch {
      rows = [];
    }
    if (!flags.a && !flags.all) rows = rows.filter((r) => r.state === 'Running');
    if (flags.q || flags.quiet) return rows.forEach((r) => out(r.id));
    const head = ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'];
    const data = rows.map((r) => [r.id, r.image, r.startedAt || '', r.state, r.name, String(r.attempt), r.id, r.pod]);
    const w = head.map((_, i) => Math.max(...[head, ...data].map((x) => x[i].length)));
    for (const r of [head, ...data])
      out(
        r
          .map((c, i) => c.padEnd(w[i] + 3))
          .join('')
          .trimEnd(),
      );
    return;
  }
  die(`crictl: "${cmd}" is not provided by the lab stand-in (version, info, ps are)`);
})();
