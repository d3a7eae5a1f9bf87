// Entry point of the CLI bundle (bin/optim.js loads it).
import { runCli } from "./main";

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (failure: unknown) => {
    process.stderr.write(`optim: internal error: ${failure instanceof Error ? failure.stack : String(failure)}\n`);
    process.exitCode = 3;
  },
);
