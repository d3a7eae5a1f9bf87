// The extension's entry point: starts the language client and wires commands,
// the status bar and the panels to it.
import * as vscode from "vscode";
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import { AnalysisSummaryNotification, ServerStatusNotification } from "../../server/src/protocol";
import { LabPanel, labPanelViewType, SummaryStore } from "./lab-panel";
import { ServerStatusBar } from "./status-bar";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("Optim", { log: true });
  const statusBar = new ServerStatusBar();
  const summaries = new SummaryStore();
  context.subscriptions.push(log, statusBar);

  const serverModule = context.asAbsolutePath("dist/server.js");
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6010"] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "optim" }],
    outputChannel: log,
  };
  client = new LanguageClient("optim", "Optim Language Server", serverOptions, clientOptions);

  context.subscriptions.push(
    client.onDidChangeState((event) => {
      if (event.newState === State.Starting) statusBar.show("starting", "Starting the optim language server");
      if (event.newState === State.Stopped) statusBar.show("stopped", "The optim language server is not running");
    }),
    client.onNotification(ServerStatusNotification.method, (params: ServerStatusNotification.Params) => {
      statusBar.show(params.state, params.detail);
    }),
    client.onNotification(AnalysisSummaryNotification.method, (params: AnalysisSummaryNotification.Params) => {
      summaries.update(params);
      LabPanel.refreshIfOpen();
    }),
    vscode.window.onDidChangeActiveTextEditor(() => LabPanel.refreshIfOpen()),
    vscode.commands.registerCommand("optim.showPanel", () => LabPanel.show(context.extensionUri, summaries, log)),
    vscode.commands.registerCommand("optim.restartServer", async () => {
      await client?.restart();
    }),
    vscode.window.registerWebviewPanelSerializer(labPanelViewType, {
      deserializeWebviewPanel: async (panel) => {
        LabPanel.adopt(panel, context.extensionUri, summaries, log);
      },
    }),
  );

  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
