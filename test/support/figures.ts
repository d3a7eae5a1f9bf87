// Figures measured by the reliability tests (documents fuzzed, the longest
// request, heap before and after), written where scripts/reliability-full.mjs
// and docs/reliability.md pick them up.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./fixtures";

export const figuresDir = join(repoRoot, "test-results", "reliability");

/** Writes test-results/reliability/<name>.json and returns its path. */
export function recordFigures(name: string, figures: Record<string, unknown>): string {
  mkdirSync(figuresDir, { recursive: true });
  const path = join(figuresDir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ ...figures, recorded: new Date().toISOString() }, null, 2)}\n`);
  return path;
}
