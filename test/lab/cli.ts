// npm run lab -- up [--topology NAME] [--workers N] [--light N] [--os debian-13|debian-12] [--fresh] | down | status [--json] | hold -- CMD...
//   | add NAME [--systemd|--light] [--address A] | remove NAME
import { spawn } from 'node:child_process';
import { acquireLabSession, interruptLabUp, labDown, labStatus, labUp, withLabLock } from './lab.js';
import { labAddHost, labRemoveHost, parseAddArgs, parseRemoveArgs } from './membership.js';

const log = (m: string): void => console.error(`lab: ${m}`);

function usage(): never {
  console.error(
    'usage: npm run lab -- up [--topology ha-stacked|ha-external|single|scale] [--workers N] [--light N] [--os debian-13|debian-12] [--fresh] | down | status [--json] | hold -- CMD [ARG...] | add NAME [--systemd|--light] [--address A] | remove NAME',
  );
  process.exit(2);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) usage();
  return v;
}

async function main(): Promise<void> {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'up') {
    const topology = flag(args, '--topology');
    const lightText = flag(args, '--light');
    const light = lightText === undefined ? undefined : Number(lightText);
    const workersText = flag(args, '--workers');
    const workers = workersText === undefined ? undefined : Number(workersText);
    let signals = 0;
    // Ctrl-C during bring-up must not leave half a lab behind: bring-up stops at its next step and
    // tears down what it made; a second Ctrl-C tears down at once.
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      log(`${sig}: tearing down`);
      interruptLabUp(sig);
      if (signals > 1) labDown({ log }).finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const started = Date.now();
    const os = flag(args, '--os');
    const state = await labUp({ topology, light, workers, os, fresh: args.includes('--fresh'), log });
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s on ${state.os}; mirror ${state.mirrorUrl}`);
    for (const h of state.hosts) console.log(`${h.name}\t${h.address}\t${h.kind}\t${h.roles.join(',')}`);
    process.exit(0);
  } else if (cmd === 'hold') {
    // Runs CMD holding the lab session: other runs wait, and CMD (a descendant) may bring the lab
    // up, switch topologies or tear it down. The lab is left as CMD leaves it.
    const argv = args[0] === '--' ? args.slice(1) : args;
    if (argv.length === 0) usage();
    const release = await acquireLabSession(log);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        log(`${argv[0]}: ${err.message}`);
        resolve(127);
      });
      child.on('exit', (c) => resolve(c ?? 1));
    });
    release();
    process.exit(code);
  } else if (cmd === 'add' || cmd === 'remove') {
    let parsed;
    try {
      parsed = cmd === 'add' ? parseAddArgs(args) : parseRemoveArgs(args);
    } catch (e) {
      console.error(`lab: ${e instanceof Error ? e.message : String(e)}`);
      usage();
    }
    const started = Date.now();
    if (cmd === 'add') {
      const add = parsed as ReturnType<typeof parseAddArgs>;
      const h = await withLabLock(log, () => labAddHost(add, log));
      log(`${h.name} (${h.kind}) up at ${h.address} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`${h.name}\t${h.address}\t${h.kind}`);
    } else {
      await withLabLock(log, () => labRemoveHost(parsed.name));
      log(`${parsed.name} removed for good in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } else if (cmd === 'down') {
    const started = Date.now();
    await labDown({ log });
    log(`down in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else if (cmd === 'status') {
    const s = await labStatus();
    if (args.includes('--json')) {
      console.log(JSON.stringify(s, null, 2));
      return;
    }
    console.log(s.up ? `up: ${s.topology} on ${s.os ?? '?'}, mirror ${s.mirrorUrl} (${s.mirrorRunning ? 'serving' : 'NOT serving'})` : 'down');
    for (const h of s.hosts) {
      const mem = h.memoryBytes === undefined ? '-' : `${(h.memoryBytes / 1048576).toFixed(1)} MiB`;
      console.log(`${h.name}\t${h.address}\t${h.kind}\t${h.running ? 'running' : 'stopped'}\tsshd ${h.sshd ? 'up' : 'down'}\t${mem}`);
    }
    if (s.lockedBy !== undefined) console.log(`in use by PID ${s.lockedBy}`);
    const l = s.leftovers;
    if (!s.up && (l.netns.length || l.links.length || l.cgroups || l.hostDirs.length)) {
      console.log(`leftovers: netns [${l.netns.join(' ')}] links [${l.links.join(' ')}] cgroups ${l.cgroups} dirs [${l.hostDirs.join(' ')}]`);
    }
  } else {
    usage();
  }
}

main().catch((err: unknown) => {
  console.error(`lab: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
