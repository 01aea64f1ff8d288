// One entry point for commands: `-o human|json|markdown` picks the view of the one plan model.

import type { Plan } from '../plan/model.js';
import { renderHuman } from './human.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';

export const OUTPUT_FORMATS = ['human', 'json', 'markdown'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RenderOptions {
  /** Human view only; the command decides from `process.stdout.isTTY` and NO_COLOR. */
  color?: boolean;
  /** Markdown view only: the comment's cap in characters. */
  maxChars?: number;
}

export function renderPlan(plan: Plan, format: OutputFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'human':
      return renderHuman(plan, { color: opts.color ?? false });
    case 'json':
      return renderJson(plan);
    case 'markdown':
      return renderMarkdown(plan, opts.maxChars !== undefined ? { maxChars: opts.maxChars } : {});
  }
}

/** Colour when writing to a terminal, unless NO_COLOR is set to anything (https://no-color.org). */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

export { renderHuman, renderJson, renderMarkdown };
