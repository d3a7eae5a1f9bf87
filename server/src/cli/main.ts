// The `optim` command line: the server's analysis core without an editor.
import { parseArgs } from "node:util";
import { closest } from "../analysis/suggest";
import { checkFiles, formatReport } from "./check";
import { backendPreferences, describeBackend, loadRuntime, type BackendPreference } from "../train/executors";
import { formatGradcheck, gradcheckFiles } from "./gradcheck";
import { experimentFile } from "./experiments";
import { exportFile } from "./export";
import { listRuns } from "./runs";
import { learnedFolder } from "./learned";
import { searchFile } from "./search";
import { trainFile } from "./train";

export const usage = `Usage: optim <command> [options] FILE...

Commands:
  check FILE...     report syntax and semantic problems, one per line:
                    file:line:col: severity: message [code]; reads each
                    data set as the editor does (a missing or broken file is
                    an error on its declaration) unless --no-data
  gradcheck FILE... check every grad against the numerical gradient, on the
                    examples a gradcheck declaration names (or the first
                    data set's first 20 training examples); a file with
                    errors, or a grad that could not be checked, fails
  train FILE        run the file's training runs (or --run NAME), saving
                    each under runs/ next to the file
  search FILE       run the file's searches over hypers and optimizer
                    settings (or --search NAME), printing the trials best
                    first; a file without searches runs its random-search
                    runs (or --run NAME)
  sweep FILE        run the file's step-size sweeps (or --run NAME)
  landscape FILE    compute the file's loss landscapes (or --run NAME)
  runs [FOLDER]     list saved runs side by side (default ./runs)
  learned FOLDER    what a saved run's model learned: its confusion matrices
                    and per-class accuracies, a linear classifier's templates
                    and a convnet's first-layer filters drawn again as PNG
                    files into the folder
  export FILE       write run --run NAME as a script for --to jax, with the
                    weights it starts from, in --out FOLDER (default jax-NAME
                    beside the file; docs/export.md)
  backend           start the executor training uses and print which it is

Options:
  --json            print a machine-readable report (see docs/cli.md)
  --hints           also print hints, such as unused declarations (check)
  --no-data         only analyse the text, reading no data (check)
  --all             check every entry, not a sample (gradcheck)
  --seed S          seed of the initial weights and the samples
  --run NAME        only this run (train, search; the run to export)
  --search NAME     only this search (search)
  --to TARGET       what export writes: jax
  --out FOLDER      where export writes
  --resume FOLDER   go on with the saved run in FOLDER from its last
                    checkpoint (train, search)
  --set NAME=VALUE  a number in place of a hyper's value or of a setting of
                    an optimizer or experiment (opt.lr=1e-3); repeatable
                    (train, search, sweep, landscape)
  --weights W       best or final: the weights learned draws templates and
                    filters from (default: those the run's figures come
                    from)
  --backend B       auto (tfjs-node, else our kernels, else TensorFlow.js on
                    wasm, else cpu), tensorflow, kernels, wasm or cpu
  -h, --help        show this help
  -v, --version     show the version

Exit codes: 0 no errors, 1 errors found, a gradient wrong or not checked,
2 the command line was wrong.
`;

const commands = ["check", "gradcheck", "train", "search", "sweep", "landscape", "runs", "learned", "export", "backend"];

export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export async function runCli(argv: string[], output: CliOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean" },
        hints: { type: "boolean" },
        "no-data": { type: "boolean" },
        all: { type: "boolean" },
        seed: { type: "string" },
        backend: { type: "string" },
        run: { type: "string" },
        search: { type: "string" },
        resume: { type: "string" },
        set: { type: "string", multiple: true },
        to: { type: "string" },
        out: { type: "string" },
        weights: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (failure) {
    const message = failure instanceof Error ? failure.message.replace(/^Unknown option '([^']*)'.*$/s, "unknown option $1") : String(failure);
    output.stderr(`optim: ${message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    output.stdout(usage);
    return 0;
  }
  if (values.version) {
    output.stdout("optim 0.1.0\n");
    return 0;
  }
  const [command, ...files] = positionals;
  if (command === undefined) {
    output.stderr(usage);
    return 2;
  }
  if (command === "backend") {
    const preference = values.backend ?? "auto";
    if (!isBackendPreference(preference)) {
      output.stderr(badBackend(preference));
      return 2;
    }
    // TensorFlow.js's .wasm files sit beside the bundle.
    const runtime = await loadRuntime(preference, __dirname);
    const report = { backend: runtime.backend, description: describeBackend(runtime.backend), notes: runtime.notes };
    output.stdout(values.json ? JSON.stringify(report) + "\n" : `backend: ${runtime.backend}, ${report.description}${runtime.notes.length ? ` (${runtime.notes.join("; ")})` : ""}\n`);
    return 0;
  }
  if (command === "runs") {
    if (files.length > 1) {
      output.stderr("optim runs: name at most one runs folder\n");
      return 2;
    }
    return listRuns(files[0] ?? "runs", values.json ?? false, output);
  }
  if (command === "learned") {
    if (files.length !== 1) {
      output.stderr("optim learned: name one run folder\n");
      return 2;
    }
    return learnedFolder(files[0], { weights: values.weights, json: values.json ?? false }, output);
  }
  if (command === "export") {
    if (files.length !== 1) {
      output.stderr("optim export: name one .optim file\n");
      return 2;
    }
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
      output.stderr(`optim: --seed takes a whole number, not '${values.seed}'\n`);
      return 2;
    }
    return exportFile(files[0], { run: values.run, to: values.to, out: values.out, seed }, output);
  }
  if (values.search !== undefined && command !== "search") {
    output.stderr(`optim ${command}: --search names a search (optim search)\n`);
    return 2;
  }
  if (command === "train" || command === "search" || command === "sweep" || command === "landscape") {
    const preference = values.backend ?? "auto";
    if (!isBackendPreference(preference)) {
      output.stderr(badBackend(preference));
      return 2;
    }
    if (files.length !== 1) {
      output.stderr(`optim ${command}: name one .optim file\n`);
      return 2;
    }
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
      output.stderr(`optim: --seed takes a whole number, not '${values.seed}'\n`);
      return 2;
    }
    const common = { run: values.run, seed, json: values.json ?? false, backend: preference, wasmDirectory: __dirname, set: values.set };
    if (command === "sweep" || command === "landscape") {
      if (values.resume !== undefined) {
        output.stderr(`optim ${command}: --resume goes on with a training run (train, search)\n`);
        return 2;
      }
      return experimentFile(files[0], { kind: command, ...common }, output);
    }
    if (command === "search") return searchFile(files[0], { ...common, search: values.search, resume: values.resume }, output);
    return trainFile(files[0], { kind: command, ...common, resume: values.resume }, output);
  }
  if (command !== "check" && command !== "gradcheck") {
    const suggestion = closest(command, commands);
    output.stderr(`optim: unknown command '${command}'${suggestion ? `; did you mean '${suggestion}'?` : ""}\n\n${usage}`);
    return 2;
  }
  if (files.length === 0) {
    output.stderr(`optim ${command}: name at least one .optim file\n`);
    return 2;
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
    output.stderr(`optim: --seed takes a whole number, not '${values.seed}'\n`);
    return 2;
  }
  if (command === "gradcheck") {
    const report = await gradcheckFiles(files, { all: values.all ?? false, seed });
    output.stdout(values.json ? JSON.stringify(report, null, 2) + "\n" : formatGradcheck(report));
    return report.failed > 0 ? 1 : 0;
  }
  const report = await checkFiles(files, { data: !values["no-data"] });
  output.stdout(values.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report, values.hints ?? false));
  return report.errors > 0 ? 1 : 0;
}

function isBackendPreference(value: string): value is BackendPreference {
  return (backendPreferences as readonly string[]).includes(value);
}

function badBackend(value: string): string {
  return `optim: --backend is ${backendPreferences.slice(0, -1).join(", ")} or ${backendPreferences[backendPreferences.length - 1]}, not '${value}'\n`;
}
