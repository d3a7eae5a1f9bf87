// Code lenses' commands run by the server itself, for editors other than VS
// Code (`workspace/executeCommand`). VS Code's extension registers richer
// commands of its own under the lenses' client ids (`optim.checkGradients`
// and so on: panels, the Test Explorer); the server's ids carry a prefix of
// their own so the two never collide, and lenses name the server's ids unless
// the client says it handles the lenses itself (`clientCommands`).
import { ErrorCodes, MessageType, ResponseError, ShowMessageNotification, type CancellationToken, type Connection, type WorkDoneProgressReporter } from "vscode-languageserver";
import type { CheckGradientsRequest, PreviewDataRequest, RunExperimentRequest } from "../protocol";

/** The server's command for each lens command of the VS Code extension. */
export const serverCommandFor: Record<string, string> = {
  "optim.checkGradients": "optim.server.checkGradients",
  "optim.runExperiment": "optim.server.runExperiment",
  "optim.previewData": "optim.server.previewData",
  "optim.resumeRun": "optim.server.resumeRun",
};

export const serverCommands = Object.values(serverCommandFor);

/** What the commands do, as the server's request handlers do it. */
export interface CommandActions {
  checkGradients(params: CheckGradientsRequest.Params, progress: WorkDoneProgressReporter, token: CancellationToken): Promise<CheckGradientsRequest.Result | null>;
  runExperiment(params: RunExperimentRequest.Params, progress: WorkDoneProgressReporter, token: CancellationToken): Promise<RunExperimentRequest.Result>;
  previewData(params: PreviewDataRequest.Params): Promise<PreviewDataRequest.Result>;
}

/** The lens's arguments: the document's URI and the declaration's name. */
function target(command: string, args: unknown[] | undefined): { uri: string; name: string } {
  const [uri, name] = args ?? [];
  if (typeof uri !== "string" || typeof name !== "string") throw new ResponseError(ErrorCodes.InvalidParams, `${command} takes two arguments: the document's URI and a declaration's name`);
  return { uri, name };
}

function checkSummary(name: string, result: CheckGradientsRequest.Result): { type: MessageType; message: string } {
  if (result.cancelled) return { type: MessageType.Info, message: `gradient check of ${name} cancelled` };
  if (result.grads.length === 0) return { type: MessageType.Warning, message: `no gradient checked${result.note ? `: ${result.note}` : ""}` };
  const failed = result.grads.filter((grad) => !grad.passed);
  const lines = result.grads.map((grad) => `${grad.name}: ${grad.verdict}${grad.maxRelativeError !== undefined ? ` (max relative error ${grad.maxRelativeError.toExponential(1)})` : ""}`);
  return { type: failed.length > 0 ? MessageType.Error : MessageType.Info, message: `${failed.length > 0 ? `${failed.length} of ${result.grads.length} gradients wrong` : `${result.grads.length} gradients right`}: ${lines.join("; ")}` };
}

function runSummary(result: RunExperimentRequest.Result): { type: MessageType; message: string } {
  const type = result.status === "finished" ? MessageType.Info : result.status === "cancelled" ? MessageType.Warning : MessageType.Error;
  const suggestion = result.sweep?.suggestion ? `; suggested lr ${result.sweep.suggestion.lr.toPrecision(2)} (${result.sweep.suggestion.reason})` : "";
  const landscape = result.landscape ? `; loss from ${result.landscape.min.toPrecision(4)} to ${result.landscape.max.toPrecision(4)}, ${result.landscape.center.toPrecision(4)} at the centre` : "";
  return { type, message: `${result.message}${suggestion}${landscape}${result.folder ? `; saved in ${result.folder}` : ""}` };
}

/** Answers `workspace/executeCommand` for the server's commands, reporting each outcome with `window/showMessage`. */
export function registerServerCommands(connection: Connection, actions: CommandActions): void {
  connection.onExecuteCommand(async ({ command, arguments: args, workDoneToken }, token, attached) => {
    // Progress on the client's token; else on one the server creates where the client supports that; else none.
    const progress = workDoneToken !== undefined ? attached : await connection.window.createWorkDoneProgress();
    const notify = (summary: { type: MessageType; message: string }) => void connection.sendNotification(ShowMessageNotification.type, { type: summary.type, message: `Optim: ${summary.message}` });
    switch (command) {
      case "optim.server.checkGradients": {
        const { uri, name } = target(command, args);
        // Every grad of the document is checked, as in VS Code, so the diagnostics show them all.
        const result = await actions.checkGradients({ uri }, progress, token);
        if (!result) throw new ResponseError(ErrorCodes.InvalidParams, `${uri} is not open`);
        notify(checkSummary(name, result));
        return result;
      }
      case "optim.server.runExperiment": {
        const result = await actions.runExperiment(target(command, args), progress, token);
        notify(runSummary(result));
        return result;
      }
      case "optim.server.resumeRun": {
        // The lens's third argument is the run folder it found; the run resumes from that one.
        const folder = args?.[2];
        if (typeof folder !== "string") throw new ResponseError(ErrorCodes.InvalidParams, `${command} takes three arguments: the document's URI, a run's name and the run folder to resume`);
        const result = await actions.runExperiment({ ...target(command, args), resume: folder }, progress, token);
        notify(runSummary(result));
        return result;
      }
      case "optim.server.previewData": {
        const result = await actions.previewData(target(command, args));
        const split = result.splits.map((entry) => `${entry.split}: ${entry.n} examples of ${entry.d} features, ${entry.classes} classes`).join("; ");
        notify({ type: result.problem ? MessageType.Error : MessageType.Info, message: `${result.name}: ${result.problem ?? split}` });
        return result;
      }
      default:
        throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${command}; the server runs ${serverCommands.join(", ")}`);
    }
  });
}
