// Shared steps of the project's scripts. Plain Node: they must run before
// `npm ci` has installed anything.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

export function step(title) {
  console.log(`\n== ${title}`);
}

/** Runs a command in the repository, inheriting the terminal; exits on failure. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (result.status !== 0) {
    console.error(`\n${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(result.status || 1);
  }
}

/** Installs the npm dependencies when they are missing or older than the lock file. */
export function ensureDependencies() {
  const installed = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  step("installing npm dependencies (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

export function build({ tests = false, editor = false, production = false } = {}) {
  step("building bundles");
  run(process.execPath, [join(root, "scripts", "build.mjs"), ...(tests ? ["--tests"] : []), ...(editor ? ["--editor"] : []), ...(production ? ["--production"] : [])]);
}

/** Builds the production bundles and packs them into dist/optim-lab.vsix; with `onlyIfChanged`, not when the .vsix is newer than everything it packs. */
export function packageExtension({ onlyIfChanged = false } = {}) {
  const vsix = join(root, "dist", "optim-lab.vsix");
  if (onlyIfChanged && existsSync(vsix) && newestSource() <= statSync(vsix).mtimeMs) {
    step("the extension (.vsix) is up to date");
    return vsix;
  }
  step("packaging the extension (.vsix)");
  run("npm", ["run", "--silent", "package"]);
  return vsix;
}

/** What goes into the .vsix: the newest modification time among its sources. */
function newestSource() {
  const roots = ["client", "server", "media", "examples", "grammar", "icons", "package.json", "package-lock.json", "language-configuration.json", "README.md", "LICENSE", ".vscodeignore"];
  let newest = 0;
  const pending = roots.map((path) => join(root, path)).filter((path) => existsSync(path));
  while (pending.length > 0) {
    const path = pending.pop();
    const info = statSync(path);
    // media/dist holds bundles of media/src, which are counted themselves.
    if (info.isDirectory()) pending.push(...readdirSync(path).filter((name) => name !== "dist" && name !== "runs").map((name) => join(path, name)));
    else newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}

/** Fashion-MNIST, which the examples and the data tests read. */
export function setupData() {
  step("setting up the data sets (Debian's dataset-fashion-mnist)");
  run("bash", [join(root, "scripts", "ensure-debian-packages.sh"), "dataset-fashion-mnist"]);
}

/** Where the JAX export's test finds Python with jax and numpy. */
export const jaxVenv = join(root, ".cache", "jax-venv");

/** A virtual environment with JAX for the CPU and NumPy, for the test that runs exported scripts; kept once jax imports in it. */
export function setupJax() {
  const python = join(jaxVenv, "bin", "python");
  if (existsSync(python) && spawnSync(python, ["-c", "import jax, numpy"], { stdio: "ignore" }).status === 0) return;
  step("setting up JAX (CPU) in .cache/jax-venv for the export test");
  run("python3", ["-m", "venv", jaxVenv]);
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "jax[cpu]", "numpy"]);
}

/** Debian's chromium, for the panels' browser tests. */
export function setupBrowser() {
  step("setting up Chromium for the panels' browser tests");
  run("bash", [join(root, "scripts", "ensure-debian-packages.sh"), "chromium"]);
}

/** Debian's neovim: a protocol test runs docs/editors.md's Neovim configuration in it. */
export function setupNeovim() {
  step("setting up Neovim for the test of docs/editors.md's configuration");
  run("bash", [join(root, "scripts", "ensure-debian-packages.sh"), "neovim"]);
}

/** code-server, and with `forTests` Debian's Chromium that drives it in the end-to-end tests. */
export function setupCodeServer({ forTests = true } = {}) {
  step(forTests ? "setting up code-server and Chromium for the end-to-end tests" : "setting up code-server (VS Code in the browser)");
  run("bash", [join(root, "scripts", "setup-e2e.sh"), ...(forTests ? [] : ["--editor"])]);
}
