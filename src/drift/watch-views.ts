// What `hactl drift --listen` keeps between runs for its views (the metrics, the last run, a short
// history of runs) and how it starts serving them.

import { DriftMetrics, type BuildInfo } from './metrics.js';
import type { ListenSettings } from './listen.js';
import type { DriftReport } from './report.js';
import { mermaidScript, startDriftServer, type DriftServer, type ServedState } from './serve.js';
import { buildClusterStatus, graphMermaid, latestSnapshot, runRecord, type DriftRun, type RunRecord, type StatusInput } from './status.js';

/** What the watch serves: the metrics and the state of the views, updated after every run. */
export class DriftWatchViews {
  readonly metrics: DriftMetrics;
  private run: DriftRun | undefined;
  private readonly history: RunRecord[] = [];

  constructor(
    build: BuildInfo,
    private readonly keep: number,
  ) {
    this.metrics = new DriftMetrics(build);
  }

  state(): ServedState {
    return { ...(this.run !== undefined ? { run: this.run } : {}), history: [...this.history] };
  }

  recordRun(run: DriftRun): void {
    this.run = run;
    this.metrics.recordRun(run);
    this.remember(runRecord(run.report));
  }

  recordFailure(message: string, startedAt: Date, finishedAt: Date): void {
    const durationMs = Math.max(0, finishedAt.getTime() - startedAt.getTime());
    this.metrics.recordFailure(durationMs / 1000, finishedAt);
    this.remember({ finishedAt: finishedAt.toISOString(), outcome: 'failed', durationMs, error: message });
  }

  private remember(r: RunRecord): void {
    this.history.push(r);
    if (this.history.length > this.keep) this.history.splice(0, this.history.length - this.keep);
  }
}

/** A run for the views: the status read beside the plan, the snapshot directory, the graph. */
export async function driftRun(report: DriftReport, input: Omit<StatusInput, 'snapshot'>, snapshotsDir: string | undefined): Promise<DriftRun> {
  const snapshot = snapshotsDir !== undefined ? await latestSnapshot(snapshotsDir, input.spec.name) : undefined;
  return {
    report,
    plan: input.plan,
    status: buildClusterStatus({ ...input, ...(snapshot !== undefined ? { snapshot } : {}) }),
    graph: graphMermaid(input.spec),
  };
}

export async function serveDriftWatch(settings: ListenSettings, views: DriftWatchViews, opts: { version: string; schedule: string }): Promise<DriftServer> {
  const mermaid = mermaidScript();
  return startDriftServer({
    address: settings.address,
    auth: settings.auth,
    metrics: views.metrics,
    state: () => views.state(),
    version: opts.version,
    schedule: opts.schedule,
    ...(mermaid !== undefined ? { mermaid } : {}),
  });
}
