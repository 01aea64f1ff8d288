import { Command, Flags } from '@oclif/core';
import { printDiagnostics, countSummary, sshKeyProblems } from '../cli/spec.js';
import { acceptNewHostKeysFlag, fileFlag, observeParallelismFlag, outputFlagWith } from '../cli/flags.js';
import { restrictPlan, selectTargets } from '../apply/select.js';
import { buildDriftReport, DRIFT_EXIT_CODE, type DriftReport } from '../drift/report.js';
import { listenFlags, listenSettings, type ListenSettings } from '../drift/listen.js';
import type { DriftWatchViews } from '../drift/watch-views.js';
import { renderDriftReport } from '../drift/render.js';
import { OUTPUT_FORMATS } from '../views/index.js';
import { parseSchedule, runOnSchedule, type Schedule } from '../drift/schedule.js';
import { DEFAULT_SECRET_HEADER, DEFAULT_STATE_FILE, notifyOnChange, redactUrl } from '../drift/webhook.js';
import { compile } from '../resources/index.js';
import { planSpecFile } from '../cli/observe.js';
import { statusCollector } from '../drift/status.js';
import { loadSpecFile } from '../spec/index.js';
import { shouldColor } from '../views/index.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

/** A check that could not produce a report (invalid spec, unreadable known_hosts, ...). */
class CheckFailed extends Error {}

export default class Drift extends Command {
  static override summary = 'Check (read-only) whether the cluster still matches its spec, once or on a schedule';
  static override description =
    'Observes every host as `hactl plan` does, over read-only connections, and reports every resource that differs from the spec, ' +
    'unreachable hosts, expiring certificates and lease holders. With --every or --cron it keeps checking, one run ' +
    'at a time (ticks that fall during a run are skipped), until SIGINT or SIGTERM. With --listen it also serves the last ' +
    'check as Prometheus metrics (/metrics), a status page (/) and /healthz; other than on loopback only with basic auth or TLS client ' +
    'certificates (docs/monitoring.md).' +
    exitCodes({
      0: 'in sync (one-shot run), or stopped by SIGINT/SIGTERM (--every, --cron)',
      1: `errors with no drift found (invalid spec, unreachable host, a failed check, a webhook that could not be delivered), or ${USAGE_ERROR}`,
      2: 'drift (also when some hosts were unreachable: the drift found on the others is never hidden)',
    });
  static override examples = [
    '<%= config.bin %> drift -f cluster.yaml',
    '<%= config.bin %> drift -f cluster.yaml -o json',
    '<%= config.bin %> drift -f cluster.yaml --every 15m --webhook https://hooks.example.com/hactl --webhook-secret-env HACTL_WEBHOOK_SECRET',
    '<%= config.bin %> drift -f cluster.yaml --cron "*/15 * * * *" -o json',
    '<%= config.bin %> drift -f cluster.yaml --every 15m --listen 127.0.0.1:9100 --snapshots ./snapshots',
  ];
  static override flags = {
    file: fileFlag,
    output: outputFlagWith(OUTPUT_FORMATS, 'human'),
    target: Flags.string({
      description: 'check only this resource (id such as containerd@cp1) or kind, with what it depends on (repeatable)',
      multiple: true,
      helpValue: '<id|kind>',
    }),
    every: Flags.string({ description: 'keep running: check now, then every interval (e.g. 15m, 1h)', helpValue: '<duration>', exclusive: ['cron'] }),
    cron: Flags.string({
      description: 'keep running: check at the times of a five-field crontab pattern, local time (e.g. "*/15 * * * *")',
      helpValue: '<pattern>',
      exclusive: ['every'],
    }),
    webhook: Flags.string({ description: 'POST the JSON report here when drift appears, changes or clears', helpValue: '<url>' }),
    'webhook-secret-env': Flags.string({
      description: "environment variable holding the value of the webhook's secret header",
      helpValue: '<NAME>',
      dependsOn: ['webhook'],
    }),
    'webhook-secret-header': Flags.string({ description: "name of the webhook's secret header", default: DEFAULT_SECRET_HEADER, helpValue: '<header>' }),
    'webhook-retries': Flags.integer({ description: 'retries of a failed delivery, with exponential backoff from 1 s', default: 4, min: 0, max: 10 }),
    'state-file': Flags.string({ description: 'where the last delivered drift state is kept between runs', default: DEFAULT_STATE_FILE, helpValue: '<path>' }),
    parallelism: observeParallelismFlag,
    'accept-new-host-keys': acceptNewHostKeysFlag,
    ...listenFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Drift);
    let schedule: Schedule | undefined;
    try {
      schedule = parseSchedule(flags);
    } catch (e) {
      this.error((e as Error).message, { exit: 1 });
    }
    let secretHeader: { name: string; value: string } | undefined;
    if (flags['webhook-secret-env'] !== undefined) {
      const name = flags['webhook-secret-env'];
      const value = process.env[name];
      if (value === undefined || value === '') this.error(`--webhook-secret-env: environment variable ${name} is not set`, { exit: 1 });
      if (!/^[A-Za-z0-9-]+$/.test(flags['webhook-secret-header']))
        this.error(`--webhook-secret-header: "${flags['webhook-secret-header']}" is not a header name`, { exit: 1 });
      secretHeader = { name: flags['webhook-secret-header'], value };
    }
    if (flags.webhook !== undefined && !/^https?:$/.test(safeProtocol(flags.webhook)))
      this.error(`--webhook: ${redactUrl(flags.webhook)} is not an http(s) URL`, { exit: 1 });
    let listen: ListenSettings | undefined;
    try {
      listen = listenSettings(flags, process.env);
    } catch (e) {
      this.error((e as Error).message, { exit: 1 });
    }
    // The views (prom-client and the page) load only when they are served.
    const watchViews = listen !== undefined ? await import('../drift/watch-views.js') : undefined;
    const views =
      watchViews !== undefined ? new watchViews.DriftWatchViews({ version: this.config.version, nodeVersion: process.version }, flags.history) : undefined;

    const scheduled = schedule !== undefined;
    const color = shouldColor(process.stdout, process.env);
    const checkAndReport = async (): Promise<number> => {
      const startedAt = new Date();
      let report: DriftReport;
      try {
        report = await this.check(flags, views !== undefined ? { views, snapshots: flags.snapshots } : undefined);
      } catch (e) {
        views?.recordFailure((e as Error).message, startedAt, new Date());
        throw e;
      }
      this.log(renderDriftReport(report, flags.output, { color, compactJson: scheduled }).replace(/\n$/, ''));
      let code = DRIFT_EXIT_CODE[report.status];
      if (flags.webhook !== undefined) {
        const sent = await notifyOnChange(report, {
          url: flags.webhook,
          ...(secretHeader !== undefined ? { secretHeader } : {}),
          retries: flags['webhook-retries'],
          stateFile: flags['state-file'],
          userAgent: this.config.userAgent,
          log: (m) => this.logToStderr(m),
        });
        if (sent.delivery?.ok) this.logToStderr(`webhook: drift ${sent.event}; report delivered to ${redactUrl(flags.webhook)}`);
        else if (sent.delivery) {
          this.logToStderr(
            `webhook: drift ${sent.event}, but the report could not be delivered after ${sent.delivery.attempts} attempts: ${sent.delivery.error}`,
          );
          if (code === 0) code = 1;
        }
      }
      return code;
    };

    if (schedule === undefined) {
      let code: number;
      try {
        code = await checkAndReport();
      } catch (e) {
        if (!(e instanceof CheckFailed)) throw e;
        this.logToStderr(e.message);
        code = 1;
      }
      if (code !== 0) this.exit(code);
      return;
    }

    const stop = new AbortController();
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stop.signal.aborted) {
        this.logToStderr(`${sig} again: stopping now`);
        process.exit(130);
      }
      this.logToStderr(`${sig}: stopping after the check in progress, if any`);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const scheduleText = schedule.kind === 'every' ? `every ${schedule.text}` : `at "${schedule.text}" (local time)`;
    let server;
    if (listen !== undefined && views !== undefined && watchViews !== undefined) {
      for (const w of listen.warnings) this.logToStderr(`warning: ${w}`);
      try {
        server = await watchViews.serveDriftWatch(listen, views, { version: this.config.version, schedule: scheduleText });
      } catch (e) {
        this.error(`--listen ${flags.listen}: ${(e as Error).message}`, { exit: 1 });
      }
      this.logToStderr(`serving ${server.url}metrics, ${server.url} and ${server.url}healthz`);
    }
    this.logToStderr(`checking ${scheduleText}; SIGINT or SIGTERM stops`);
    try {
      await runOnSchedule(
        schedule,
        async () => {
          try {
            await checkAndReport();
          } catch (e) {
            // One failed check does not end the watch: the next tick tries again.
            this.logToStderr(e instanceof CheckFailed ? e.message : `check failed: ${(e as Error).message}`);
          }
        },
        {
          signal: stop.signal,
          onSkipped: (n, next) => this.logToStderr(`the check overran ${n} scheduled time${n === 1 ? '' : 's'}, skipped; next check at ${next.toISOString()}`),
        },
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await server?.close();
    }
  }

  /** One read-only check: the spec read afresh (a long-running watch follows edits), observed, reported. */
  private async check(
    flags: { file: string; target?: string[]; parallelism?: number; 'accept-new-host-keys': boolean },
    serve?: { views: DriftWatchViews; snapshots: string | undefined },
  ): Promise<DriftReport> {
    const startedAt = new Date();
    const loaded = await loadSpecFile(flags.file);
    printDiagnostics(this, loaded.diagnostics);
    if (loaded.spec === undefined) throw new CheckFailed(`${flags.file}: invalid (${countSummary(loaded.diagnostics)})`);
    const spec = loaded.spec;
    // Before any host is dialled, as plan does: otherwise every host looks unreachable for one reason.
    const keys = await sshKeyProblems(spec);
    if (keys.length > 0) throw new CheckFailed(keys.join('; '));
    let selected: ReadonlySet<string> | undefined;
    try {
      if (flags.target !== undefined && flags.target.length > 0) selected = selectTargets(compile(spec), flags.target).ids;
    } catch (e) {
      throw new CheckFailed((e as Error).message);
    }
    let plan;
    // Only the views need more than the plan: the hosts' facts and stacked etcd's members.
    const collector = serve !== undefined ? statusCollector(spec) : undefined;
    try {
      plan = await planSpecFile(spec, flags.file, flags, (m) => this.logToStderr(m), process.env, collector?.hook);
    } catch (e) {
      throw new CheckFailed(`cannot check ${flags.file}: ${(e as Error).message}`);
    }
    if (selected !== undefined) plan = restrictPlan(plan, selected);
    const report = buildDriftReport(plan, { startedAt, finishedAt: new Date() });
    if (serve !== undefined && collector !== undefined) {
      const stackedEtcd = collector.stackedEtcd();
      const { driftRun } = await import('../drift/watch-views.js');
      serve.views.recordRun(
        await driftRun(report, { spec, plan, facts: collector.facts(), ...(stackedEtcd !== undefined ? { stackedEtcd } : {}) }, serve.snapshots),
      );
    }
    return report;
  }

  // oclif exits 2 on a usage error; here 2 means drift, so usage errors exit 1.
  override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<unknown> {
    // By code, not class: a bundled CLI may hold a second copy of oclif's error classes.
    if (err.code !== 'EEXIT' && err.oclif?.exit === 2) err.oclif.exit = 1;
    return super.catch(err);
  }
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}
