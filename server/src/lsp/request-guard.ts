// Requests the protocol says a server must refuse, refused before any handler
// sees them: every request after `shutdown` (InvalidRequest), and a request
// whose position or range is not one (InvalidParams). A refused request is
// passed on under a method of its own, whose handler answers the error, so
// the connection keeps its own bookkeeping of ids and cancellation.
import { ErrorCodes, Message, ResponseError, type Connection, type MessageStrategy, type NotificationMessage, type RequestMessage } from "vscode-languageserver/node";

const refusedMethod = "optim/$refused";

interface Refusal {
  code: number;
  message: string;
}

const withPosition = new Set([
  "textDocument/hover",
  "textDocument/completion",
  "textDocument/signatureHelp",
  "textDocument/definition",
  "textDocument/references",
  "textDocument/prepareRename",
  "textDocument/rename",
]);
const withRange = new Set(["textDocument/inlayHint", "textDocument/codeAction"]);

function isPosition(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { line, character } = value as { line?: unknown; character?: unknown };
  return Number.isInteger(line) && Number.isInteger(character) && (line as number) >= 0 && (character as number) >= 0;
}

function isRange(value: unknown): boolean {
  return typeof value === "object" && value !== null && isPosition((value as { start?: unknown }).start) && isPosition((value as { end?: unknown }).end);
}

/** Why a request is refused, or undefined when it may go to its handler. */
function refusal(request: RequestMessage, shutDown: boolean): Refusal | undefined {
  if (shutDown) return { code: ErrorCodes.InvalidRequest, message: `${request.method} after shutdown: the server accepts only the exit notification now` };
  const params = request.params as { position?: unknown; range?: unknown; textDocument?: { uri?: unknown } } | undefined;
  if (withPosition.has(request.method) || withRange.has(request.method)) {
    if (typeof params?.textDocument?.uri !== "string") return { code: ErrorCodes.InvalidParams, message: `${request.method} needs textDocument.uri, a string` };
  }
  if (withPosition.has(request.method) && !isPosition(params?.position)) return { code: ErrorCodes.InvalidParams, message: `${request.method} needs a position: { line, character }, both whole numbers from 0` };
  if (withRange.has(request.method) && !isRange(params?.range)) return { code: ErrorCodes.InvalidParams, message: `${request.method} needs a range: { start, end }, each { line, character }` };
  return undefined;
}

/** The connection's message strategy: refuses what must be refused, passes the rest on. */
export function requestGuard(): MessageStrategy {
  let shutDown = false;
  return {
    handleMessage(message, next) {
      if (Message.isRequest(message)) {
        const refused = refusal(message, shutDown);
        if (message.method === "shutdown") shutDown = true;
        if (refused) return next({ ...message, method: refusedMethod, params: refused } as RequestMessage);
      } else if (Message.isNotification(message) && shutDown && (message as NotificationMessage).method !== "exit" && !(message as NotificationMessage).method.startsWith("$/")) {
        // After shutdown, notifications other than exit are dropped.
        return;
      }
      return next(message);
    },
  };
}

/** Answers each refused request with its error. */
export function answerRefusals(connection: Connection): void {
  connection.onRequest(refusedMethod, (refused: Refusal) => {
    throw new ResponseError(refused.code, refused.message);
  });
}
