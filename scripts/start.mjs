// `npm start`: the main job. Installs and builds what is missing, checks the
// examples with the `optim` CLI, then serves VS Code (code-server) with the
// extension installed on examples/ and prints its address.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { build, ensureDependencies, packageExtension, root, run, setupCodeServer, setupData, step } from "./lib.mjs";

ensureDependencies();
setupData();
packageExtension();
build({ tests: true });

step("checking the examples with the optim CLI");
const examples = readdirSync(join(root, "examples"))
  .filter((file) => file.endsWith(".optim"))
  .map((file) => join("examples", file));
run(process.execPath, [join(root, "bin", "optim.js"), "check", ...examples]);

setupCodeServer();
step("starting VS Code (code-server) on examples/");
const editor = spawn(process.execPath, [join(root, "out", "scripts", "open-editor.js")], { cwd: root, stdio: "inherit" });
editor.on("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => editor.kill(signal));
