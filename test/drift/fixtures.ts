// Drift reports built from the plan fixtures the views use, with fixed run times.
import { buildDriftReport, type DriftReport } from '../../src/drift/report.js';
import type { Plan } from '../../src/plan/model.js';
import { FIXTURES } from '../views/fixtures.js';

export const STARTED = new Date('2026-11-22T08:00:00.000Z');
export const FINISHED = new Date('2026-11-22T08:00:03.250Z');

export function report(plan: Plan): DriftReport {
  return buildDriftReport(plan, { startedAt: STARTED, finishedAt: FINISHED });
}

/** One report per plan fixture: in sync, updates (with secrets), destroy/replace, unreachable host, over the cap. */
export const REPORTS: Record<string, () => DriftReport> = Object.fromEntries(Object.entries(FIXTURES).map(([name, make]) => [name, () => report(make())]));
