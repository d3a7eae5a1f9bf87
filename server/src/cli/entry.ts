// Entry point of the CLI bundle (bin/optim.js loads it).
import { runCli } from "./main";

// `optim … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (failure: NodeJS.ErrnoException) => {
  if (failure.code === "EPIPE") process.exit(0);
  throw failure;
});

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
