// `-o json`: the plan model itself, normalised, with its `formatVersion`. Described by
// schemas/plan.schema.json and docs/plan-format.md; the saved plan file uses the same format.

import { normalizePlan, type Plan } from '../plan/model.js';

export function renderJson(plan: Plan): string {
  return JSON.stringify(normalizePlan(plan), null, 2) + '\n';
}
