// Diagnostics fixtures: each fixtures/diagnostics/NAME.optim carries its
// expected findings inline (see support/annotations.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { analyze } from "../../server/src/analysis/analyze";
import { renderAnnotated, stripAnnotations } from "../support/annotations";
import { fixtureFiles, readText } from "../support/fixtures";

for (const file of fixtureFiles("diagnostics", ".optim")) {
  test(`diagnostics: ${file.split("/").pop()}`, () => {
    const written = readText(file);
    const source = stripAnnotations(written);
    const actual = renderAnnotated(source, analyze(source).findings);
    if (process.env.UPDATE_SNAPSHOTS === "1") writeFileSync(file, actual);
    else assert.equal(actual, written);
  });
}
