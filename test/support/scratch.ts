// Temporary folders for tests, removed when the test process ends, whether
// its tests passed or not: `npm test` checks that none is left behind.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const folders: string[] = [];

process.on("exit", () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A new empty folder under the system's temporary folder, named `optim-<prefix>-XXXXXX`. */
export function scratchFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), `optim-${prefix}-`));
  folders.push(folder);
  return folder;
}
