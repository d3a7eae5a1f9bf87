// `npm start`: the main job. Installs and builds what is missing, checks the
// examples with the `optim` CLI, then serves VS Code (code-server) with the
// extension installed on examples/ and prints its address. Only what the
// editor needs: no test bundles and no browser (the user brings one).
//   npm start [-- --port N] [--host ADDRESS]
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { build, ensureDependencies, packageExtension, root, run, setupCodeServer, setupData, step } from "./lib.mjs";

const started = Date.now();
ensureDependencies();
setupData();
setupCodeServer({ forTests: false });
packageExtension({ onlyIfChanged: true });
// The development bundles for the CLI below and the launcher; the .vsix keeps its production ones.
build({ editor: true });

step("checking the examples with the optim CLI");
const examples = readdirSync(join(root, "examples"))
  .filter((file) => file.endsWith(".optim"))
  .map((file) => join("examples", file));
run(process.execPath, [join(root, "bin", "optim.js"), "check", ...examples]);

step("starting VS Code (code-server) on examples/");
const editor = spawn(process.execPath, [join(root, "out", "scripts", "open-editor.js"), ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  // So the launcher can say how long the whole start took.
  env: { ...process.env, OPTIM_STARTED_AT: String(started) },
});
editor.on("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => editor.kill(signal));
