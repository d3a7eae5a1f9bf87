// The lab panel's script: draws what the extension sends, with text nodes
// only, so names from a document can never become markup.
import { element, vscodeApi } from "./dom";
import type { FromWebview, ToWebview } from "./messages";

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;

function render(message: ToWebview): void {
  root.replaceChildren();
  if (message.type === "empty") {
    root.append(element("p", message.reason, "empty"));
    return;
  }
  root.append(element("h1", message.file));
  const status = message.errors === 0 ? "no errors" : `${message.errors} error${message.errors === 1 ? "" : "s"}`;
  root.append(element("p", `version ${message.version}: ${message.declarations.length} declarations, ${status}`, "status"));
  const table = element("table");
  const head = element("tr");
  head.append(element("th", "kind"), element("th", "name"), element("th", "line"));
  table.append(head);
  for (const declaration of message.declarations) {
    const row = element("tr", undefined, "declaration");
    const link = element("a", declaration.name || "(unnamed)");
    link.href = "#";
    link.addEventListener("click", (event) => {
      event.preventDefault();
      vscode.postMessage({ type: "reveal", line: declaration.line });
    });
    const nameCell = element("td");
    nameCell.append(link);
    row.append(element("td", declaration.kind, "kind"), nameCell, element("td", String(declaration.line + 1)));
    table.append(row);
  }
  root.append(table);
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  vscode.setState(event.data);
  render(event.data);
});

const saved = vscode.getState() as ToWebview | undefined;
if (saved) render(saved);
vscode.postMessage({ type: "ready" });
