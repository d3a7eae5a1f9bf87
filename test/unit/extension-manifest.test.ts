// The extension's manifest against the files it names: the language's icons
// exist, are SVG, and are packed into the .vsix (.vscodeignore keeps them).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/fixtures";

interface Manifest {
  contributes: { languages: { id: string; icon?: { light: string; dark: string } }[] };
}

const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as Manifest;
const optim = manifest.contributes.languages.find((language) => language.id === "optim");

test(".optim files have a light and a dark icon, and both are SVG files in the repository", () => {
  assert.ok(optim?.icon, "the optim language names an icon");
  for (const path of [optim.icon.light, optim.icon.dark]) {
    const file = join(repoRoot, path);
    assert.ok(existsSync(file), `${path} exists`);
    assert.match(readFileSync(file, "utf8"), /^<svg [^>]*viewBox="0 0 16 16"/, `${path} is a 16 × 16 SVG`);
  }
  assert.notEqual(readFileSync(join(repoRoot, optim.icon.light), "utf8"), readFileSync(join(repoRoot, optim.icon.dark), "utf8"), "the dark theme's icon has its own colours");
});

test("the icons are packed into the .vsix", { timeout: 60_000 }, () => {
  // What `vsce package` would pack, after .vscodeignore.
  const packed = execFileSync(process.execPath, [join(repoRoot, "node_modules", "@vscode", "vsce", "vsce"), "ls", "--no-dependencies"], { cwd: repoRoot, encoding: "utf8" }).split("\n").map((line) => line.trim());
  assert.ok(packed.includes("package.json"), packed.join(", "));
  for (const path of [optim?.icon?.light, optim?.icon?.dark]) assert.ok(path && packed.includes(path.replace(/^\.\//, "")), `${path} is packed`);
});
