// Shared start-up of the controller-manager and scheduler stand-ins: flags, kubeconfig, leader election.
import { flagMap, die } from './args.js';
import { loadKubeconfig, client } from './kube.js';
import { versionInfo } from './version.js';
import { leaderOptions, runLeaderElection } from './leader.js';

export function startComponent(name, known, runLeader) {
  const argv = process.argv.slice(2);
  for (const a of argv) {
    const n = /^--([^=]+)/.exec(a)?.[1];
    if (!n) die(`Error: unknown command "${a}" for "${name}"`);
    if (!known.has(n) && !n.startsWith('leader-elect')) die(`Error: unknown flag: --${n}`);
  }
  const F = flagMap(argv);
  if (F.version) {
    console.log(`Kubernetes ${versionInfo().gitVersion}`);
    process.exit(0);
  }
  if (!F.kubeconfig) die('Error: --kubeconfig is required by this stand-in');
  const log = (...a) => console.error(new Date().toISOString(), ...a);
  const api = client(loadKubeconfig(F.kubeconfig), { keepAlive: true });
  const lo = leaderOptions(F, name);
  let stop = null;
  const start = () => {
    log(`started leading: running ${name} controllers`);
    stop = runLeader({ api, F, log });
  };
  const stopped = () => {
    // As the real components: losing the lease ends the process and the kubelet restarts it.
    log('leaderelection lost');
    if (stop) stop();
    process.exit(1);
  };
  log(`${name} ${versionInfo().gitVersion}`);
  if (!lo.enabled) start();
  else runLeaderElection(api, lo, { onStarted: start, onStopped: stopped, log });
  process.on('SIGTERM', () => process.exit(0));
}

export function every(ms, fn, log) {
  let stopped = false;
  (async () => {
    while (!stopped) {
      try {
        await fn();
      } catch (e) {
        log(`controller error: ${e.message}`);
      }
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
  return () => {
    stopped = true;
  };
}
