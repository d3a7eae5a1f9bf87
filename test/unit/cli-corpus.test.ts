// The built `optim` binary over the example files (no errors, their data read)
// and over the corpus of broken files (exactly the static diagnostics written
// in them: their data paths are not meant to exist, so no data is read).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { JsonCheckReport } from "../../server/src/cli/check";
import type { Finding } from "../../server/src/analysis/diagnostic";
import { LineIndex } from "../../server/src/analysis/line-index";
import { renderAnnotated, stripAnnotations } from "../support/annotations";
import { fixtureFiles, readText, repoRoot } from "../support/fixtures";
import { scratchFolder } from "../support/scratch";

function optim(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, "bin", "optim.js"), ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("optim check reports no errors on any example", () => {
  const examples = readdirSync(join(repoRoot, "examples")).filter((file) => file.endsWith(".optim")).map((file) => join(repoRoot, "examples", file));
  assert.ok(examples.length > 0);
  const result = optim(["check", ...examples]);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`^${examples.length} files? checked: 0 errors`, "m"));
});

const scratch = scratchFolder("corpus");

for (const file of fixtureFiles("diagnostics", ".optim")) {
  const name = file.split("/").pop() as string;
  test(`optim check --json reports the annotated diagnostics of ${name}`, () => {
    const written = readText(file);
    const source = stripAnnotations(written);
    const copy = join(scratch, name);
    writeFileSync(copy, source);
    const result = optim(["check", "--json", "--no-data", copy]);
    const report = JSON.parse(result.stdout) as JsonCheckReport;
    assert.equal(result.status, report.errors > 0 ? 1 : 0);
    const lines = new LineIndex(source);
    const offset = (line: number, column: number) => lines.offsetAt({ line: line - 1, character: column - 1 });
    const findings: Finding[] = report.files[0].diagnostics.map((diagnostic) => ({
      span: { start: offset(diagnostic.line, diagnostic.column), end: offset(diagnostic.endLine, diagnostic.endColumn) },
      severity: diagnostic.severity,
      message: diagnostic.message,
      code: diagnostic.code,
    }));
    assert.equal(renderAnnotated(source, findings), written);
  });
}
