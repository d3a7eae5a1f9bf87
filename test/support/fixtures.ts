// Helpers for data-driven tests: fixture discovery and snapshot files that
// UPDATE_SNAPSHOTS=1 rewrites.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import assert from "node:assert/strict";

/** The repository: the nearest folder above this bundle with the project's package.json. */
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  let directory = start;
  for (;;) {
    const manifest = join(directory, "package.json");
    if (existsSync(manifest) && /"name": "optim-lab"/.test(readFileSync(manifest, "utf8"))) return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no optim-lab package.json above ${start}`);
    directory = parent;
  }
}
export const fixturesDir = join(repoRoot, "test", "fixtures");

export function fixtureFiles(folder: string, extension: string): string[] {
  const directory = join(fixturesDir, folder);
  return readdirSync(directory)
    .filter((file) => file.endsWith(extension))
    .sort()
    .map((file) => join(directory, file));
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}

/** Compares `actual` with the snapshot file, or writes it when UPDATE_SNAPSHOTS=1. */
export function assertSnapshot(snapshotPath: string, actual: string): void {
  if (process.env.UPDATE_SNAPSHOTS === "1" || !existsSync(snapshotPath)) {
    if (process.env.CI && !existsSync(snapshotPath)) assert.fail(`missing snapshot ${snapshotPath}: run the tests with UPDATE_SNAPSHOTS=1 and commit it`);
    writeFileSync(snapshotPath, actual);
    return;
  }
  assert.equal(actual, readFileSync(snapshotPath, "utf8"), `snapshot ${snapshotPath} differs; rerun with UPDATE_SNAPSHOTS=1 if the change is intended`);
}
