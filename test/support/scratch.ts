// Temporary folders for tests, removed when the test process ends, whether
// its tests passed or not: `npm test` checks that none is left behind.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const folders: string[] = [];

function removeAll(): void {
  for (const folder of folders.splice(0)) {
    try {
      rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Left for npm test's check to name.
    }
  }
}

process.on("exit", removeAll);
// A test process ended by a signal (a timeout, Ctrl-C) skips "exit": remove the folders, then end as the signal would.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    removeAll();
    process.kill(process.pid, signal);
  });
}

/** A new empty folder under the system's temporary folder, named `optim-<prefix>-XXXXXX`. */
export function scratchFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), `optim-${prefix}-`));
  folders.push(folder);
  return folder;
}
