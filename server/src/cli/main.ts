// The `optim` command line: the server's analysis core without an editor.
import { checkFiles, formatReport } from "./check";

export const usage = `Usage: optim <command> [options] FILE...

Commands:
  check FILE...     report syntax and semantic problems, one per line:
                    file:line:col: severity: message [code]

Options:
  --json            print a machine-readable report (see docs/cli.md)
  --hints           also print hints, such as unused declarations
  -h, --help        show this help
  -v, --version     show the version

Exit codes: 0 no errors, 1 errors found, 2 the command line was wrong.
`;

export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export async function runCli(argv: string[], output: CliOutput): Promise<number> {
  const flags = new Set(argv.filter((argument) => argument.startsWith("-")));
  const positional = argv.filter((argument) => !argument.startsWith("-"));
  if (flags.has("-h") || flags.has("--help")) {
    output.stdout(usage);
    return 0;
  }
  if (flags.has("-v") || flags.has("--version")) {
    output.stdout("optim 0.1.0\n");
    return 0;
  }
  const known = new Set(["--json", "--hints"]);
  const unknown = [...flags].filter((flag) => !known.has(flag));
  if (unknown.length > 0) {
    output.stderr(`optim: unknown option ${unknown[0]}\n\n${usage}`);
    return 2;
  }
  const [command, ...files] = positional;
  if (command === undefined) {
    output.stderr(usage);
    return 2;
  }
  if (command !== "check") {
    output.stderr(`optim: unknown command '${command}'\n\n${usage}`);
    return 2;
  }
  if (files.length === 0) {
    output.stderr("optim check: name at least one .optim file\n");
    return 2;
  }
  const report = await checkFiles(files);
  output.stdout(flags.has("--json") ? JSON.stringify(report, null, 2) + "\n" : formatReport(report, flags.has("--hints")));
  return report.errors > 0 ? 1 : 0;
}
