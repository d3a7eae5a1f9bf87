// The extension's entry point: starts the language client and wires commands,
// the status bar and the panels to it.
import * as vscode from "vscode";
import { LanguageClient, State, TransportKind, WorkDoneProgress, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import { AnalysisSummaryNotification, CheckGradientsRequest, CheckResultsNotification, RunExperimentRequest, RunProgressNotification, SearchProgressNotification, ServerStatusNotification } from "../../server/src/protocol";
import { LabPanel, labPanelViewType, SummaryStore } from "./lab-panel";
import { dataPanelViewType, restoreDataPanel, showDataPreview } from "./data-panel";
import { ExperimentPanels, GradientReports, panelKinds, RunCurves } from "./result-panels";
import { findRunFolders, latestResumable, readSavedRun, runsFoldersNear } from "./saved-runs";
import { SearchResults, searchPanelKind } from "./search-results";
import { ServerStatusBar } from "./status-bar";
import { GradientTests } from "./test-explorer";
import { LearnedPanel, learnedPanelKind } from "./learned-panel";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("Optim", { log: true });
  const statusBar = new ServerStatusBar();
  const summaries = new SummaryStore();
  const curves = new RunCurves(context.extensionUri, log);
  const experiments = new ExperimentPanels(context.extensionUri, log);
  const reports = new GradientReports(context.extensionUri, log);
  const learned = new LearnedPanel(context.extensionUri, log);
  context.subscriptions.push(log, statusBar);

  const serverModule = context.asAbsolutePath("dist/server.js");
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6010"] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "optim" }],
    outputChannel: log,
    initializationOptions: initializationOptions(),
  };
  client = new LanguageClient("optim", "Optim Language Server", serverOptions, clientOptions);
  const languageClient = client;
  const searches = new SearchResults(context.extensionUri, log, languageClient);
  const tests = new GradientTests(languageClient);
  context.subscriptions.push(tests);

  context.subscriptions.push(
    client.onDidChangeState((event) => {
      if (event.newState === State.Starting) statusBar.show("starting", "Starting the optim language server");
      if (event.newState === State.Stopped) statusBar.show("stopped", "The optim language server is not running");
    }),
    client.onNotification(ServerStatusNotification.method, (params: ServerStatusNotification.Params) => {
      statusBar.show(params.state, params.detail, params.backend);
    }),
    client.onNotification(AnalysisSummaryNotification.method, (params: AnalysisSummaryNotification.Params) => {
      summaries.update(params);
      tests.updateDocument(params);
      LabPanel.refreshIfOpen();
    }),
    client.onNotification(CheckResultsNotification.method, (params: CheckResultsNotification.Params) => {
      tests.report(params);
      reports.update(params);
    }),
    client.onNotification(RunProgressNotification.method, (params: RunProgressNotification.Params) => curves.add(params.uri, params.run, params.points ?? [params.point])),
    client.onNotification(SearchProgressNotification.method, (params: SearchProgressNotification.Params) => searches.progress(params)),
    vscode.commands.registerCommand("optim.useSearchValues", (values: Record<string, number>) => searches.useValues(values)),
    vscode.window.registerWebviewPanelSerializer(searchPanelKind.viewType, searches.host.serializer()),
    vscode.commands.registerCommand("optim.checkGradients", (uri?: string) => checkGradients(languageClient, tests, reports, uri)),
    vscode.commands.registerCommand("optim.showLossCurves", () => curves.host.show(undefined, false)),
    vscode.commands.registerCommand("optim.showGradientReport", (uri?: string) => reports.show(uri)),
    vscode.commands.registerCommand("optim.compareRuns", (folders?: string[]) => compareRuns(curves, log, folders)),
    vscode.commands.registerCommand("optim.openExample", (name?: string) => openExample(context, name)),
    vscode.commands.registerCommand("optim.previewData", async (uri?: string, name?: string) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
      if (!target) return;
      const data = (await declarationsOf(target, ["data"])).map((declaration) => declaration.name);
      const chosen = name ?? (data.length === 1 ? data[0] : await vscode.window.showQuickPick(data, { placeHolder: "Which data set?" }));
      if (chosen) await showDataPreview(context, languageClient, target, chosen);
    }),
    vscode.commands.registerCommand("optim.runExperiment", (uri?: string, name?: string) => runExperiment(languageClient, { curves, experiments, learned, searches }, uri, name)),
    vscode.commands.registerCommand("optim.resumeRun", (uri?: string, name?: string, folder?: string) => runExperiment(languageClient, { curves, experiments, learned, searches }, uri, name, true, folder)),
    vscode.commands.registerCommand("optim.showLearned", (folder?: string) => learned.pickAndShow(folder)),
    // Trust granted while running: start again with computation allowed.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      languageClient.clientOptions.initializationOptions = initializationOptions();
      await languageClient.restart();
    }),
    // The server reads its settings at start-up: restart it when they change.
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("optim")) return;
      languageClient.clientOptions.initializationOptions = initializationOptions();
      await languageClient.restart();
    }),
    vscode.window.onDidChangeActiveTextEditor(() => {
      LabPanel.refreshIfOpen();
      reports.followActiveEditor();
    }),
    vscode.commands.registerCommand("optim.showPanel", () => LabPanel.show(context.extensionUri, summaries, log)),
    vscode.commands.registerCommand("optim.restartServer", async () => {
      await client?.restart();
    }),
    vscode.window.registerWebviewPanelSerializer(labPanelViewType, {
      deserializeWebviewPanel: async (panel) => {
        LabPanel.adopt(panel, context.extensionUri, summaries, log);
      },
    }),
    vscode.window.registerWebviewPanelSerializer(dataPanelViewType, { deserializeWebviewPanel: async (panel) => restoreDataPanel(context, panel) }),
    vscode.window.registerWebviewPanelSerializer(panelKinds.runs.viewType, curves.host.serializer((state) => curves.restore(state))),
    vscode.window.registerWebviewPanelSerializer(panelKinds.sweep.viewType, experiments.sweep.serializer()),
    vscode.window.registerWebviewPanelSerializer(panelKinds.landscape.viewType, experiments.landscape.serializer()),
    vscode.window.registerWebviewPanelSerializer(panelKinds.gradcheck.viewType, reports.host.serializer()),
    vscode.window.registerWebviewPanelSerializer(learnedPanelKind.viewType, learned.host.serializer()),
  );

  await client.start();
}

/** Names of a document's declarations of these kinds, asked of the server now (so never behind the text). */
async function declarationsOf(uri: string, kinds: string[]): Promise<{ name: string; kind: string }[]> {
  const symbols = (await vscode.commands.executeCommand<vscode.DocumentSymbol[]>("vscode.executeDocumentSymbolProvider", vscode.Uri.parse(uri))) ?? [];
  return symbols.map((symbol) => ({ name: symbol.name, kind: symbol.detail.split(" ")[0] })).filter((declaration) => kinds.includes(declaration.kind));
}

/**
 * Opens one of the bundled examples. With a folder open it is copied into
 * optim-examples/ there first, so runs and edits stay in the user's workspace.
 */
async function openExample(context: vscode.ExtensionContext, name?: string): Promise<void> {
  const examples = vscode.Uri.joinPath(context.extensionUri, "examples");
  const chosen = name ?? (await vscode.window.showQuickPick((await vscode.workspace.fs.readDirectory(examples)).map(([file]) => file).filter((file) => file.endsWith(".optim")), { placeHolder: "Which example?" }));
  if (!chosen || !/^[\w.-]+\.optim$/.test(chosen)) return;
  const source = vscode.Uri.joinPath(examples, chosen);
  let target = source;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder) {
    target = vscode.Uri.joinPath(folder.uri, "optim-examples", chosen);
    const exists = await vscode.workspace.fs.stat(target).then(
      () => true,
      () => false,
    );
    if (!exists) await vscode.workspace.fs.copy(source, target);
  }
  await vscode.window.showTextDocument(target);
}

/**
 * Starts a run of the active document (chosen from a list when not named),
 * with progress, a cancel button and its panel; with `resume`, goes on with
 * the run's saved folder instead (the Resume lens names it; else the newest).
 */
async function runExperiment(languageClient: LanguageClient, panels: { curves: RunCurves; experiments: ExperimentPanels; learned: LearnedPanel; searches: SearchResults }, uri?: string, name?: string, resume = false, savedFolder?: string): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
  if (!target || !target.endsWith(".optim")) {
    void vscode.window.showWarningMessage("Open a .optim file to run one of its runs.");
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("Runs start only in a trusted workspace: Restricted Mode reads no data and runs no computation.");
    return;
  }
  const declarations = await declarationsOf(target, resume ? ["run"] : ["run", "sweep", "search", "landscape"]);
  const runs = declarations.map((declaration) => declaration.name);
  const chosen = name ?? (runs.length === 1 ? runs[0] : await vscode.window.showQuickPick(runs, { placeHolder: "Which run?" }));
  if (!chosen) {
    if (runs.length === 0) void vscode.window.showWarningMessage("This file has no run, sweep, search or landscape declarations.");
    return;
  }
  let resumeFolder: string | undefined;
  if (resume) {
    const file = vscode.Uri.parse(target);
    const runsFolders = runsFoldersNear(file);
    resumeFolder = savedFolder ?? (await latestResumable(runsFolders, chosen))?.fsPath;
    if (!resumeFolder) {
      void vscode.window.showInformationMessage(`No saved run of ${chosen} to resume: a run keeps a checkpoint from its first evaluation on.`);
      return;
    }
  }
  // A training run draws its curve as it goes; sweeps and landscapes show their result at the end.
  const training = declarations.some((declaration) => declaration.name === chosen && declaration.kind === "run");
  const series = training ? panels.curves.begin(target, chosen) : undefined;
  // A search fills its panel as its trials finish.
  const search = declarations.some((declaration) => declaration.name === chosen && declaration.kind === "search");
  if (search) panels.searches.begin(target, chosen);
  let result: RunExperimentRequest.Result | undefined;
  try {
    result = await startRun(languageClient, target, chosen, resumeFolder);
  } catch (failure) {
    if (series) panels.curves.end(series, { run: chosen, status: "failed", message: String(failure) });
    if (search) panels.searches.end(target, chosen, { run: chosen, status: "failed", message: String(failure) });
    throw failure;
  }
  if (series) panels.curves.end(series, result);
  if (search) panels.searches.end(target, chosen, result);
  if (!result) return;
  if (result.status !== "failed") panels.experiments.show(target, result);
  // What a training run's model learned: an open panel follows the newest run; otherwise the notification offers it.
  const learnedFolder = training && result.folder && result.status !== "failed" ? result.folder : undefined;
  if (learnedFolder && panels.learned.host.isOpen) await panels.learned.show(vscode.Uri.file(learnedFolder));
  // A finished run whose curve (or search whose trials) is on screen says so in the status bar; a toast would cover the plots.
  if (result.status === "finished" && ((series && panels.curves.host.isVisible) || (search && panels.searches.host.isVisible))) {
    vscode.window.setStatusBarMessage(`$(check) ${result.message}`, 15_000);
    return;
  }
  const show = result.status === "finished" || result.status === "cancelled" ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  const actions = [...(learnedFolder ? ["What It Learned"] : []), ...(result.folder ? ["Reveal Run Folder"] : [])];
  const action = await show(result.message, ...actions);
  if (action === "What It Learned" && learnedFolder) await panels.learned.show(vscode.Uri.file(learnedFolder));
  if (action === "Reveal Run Folder" && result.folder) await vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(result.folder));
}

/** Sends the run request with progress in a notification that has a cancel button. */
function startRun(languageClient: LanguageClient, target: string, chosen: string, resume?: string): Thenable<RunExperimentRequest.Result | undefined> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${resume ? "Resuming" : "Running"} ${chosen}`, cancellable: true }, async (progress, token) => {
    const workDoneToken = `optim-run-${Date.now()}`;
    const listener = languageClient.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind === "report" && value.message) progress.report({ message: value.message });
    });
    try {
      const params: RunExperimentRequest.Params = { uri: target, name: chosen, workDoneToken, ...(resume ? { resume } : {}) };
      return await languageClient.sendRequest<RunExperimentRequest.Result>(RunExperimentRequest.method, params, token);
    } finally {
      listener.dispose();
    }
  });
}

function initializationOptions() {
  const settings = vscode.workspace.getConfiguration("optim");
  return {
    trusted: vscode.workspace.isTrusted,
    backend: settings.get<string>("backend", "auto"),
    maxDataMegabytes: settings.get<number>("data.maxMegabytes", 1024),
    checkDelayMs: settings.get<number>("checks.delayMs", 75),
    checkBudgetSeconds: settings.get<number>("checks.timeBudgetSeconds", 120),
    runBudgetSeconds: settings.get<number>("runs.timeBudgetSeconds", 3600),
    maxTensorEntries: settings.get<number>("limits.maxTensorEntries", 100_000_000),
    workerHeapMegabytes: settings.get<number>("limits.workerHeapMegabytes", 4096),
    // The lenses name this extension's commands, with their panels and Test Explorer.
    clientCommands: true,
  };
}

/** Checks every entry of every gradient of a document, with progress and a cancel button. */
async function checkGradients(languageClient: LanguageClient, tests: GradientTests, reports: GradientReports, uri?: string): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
  if (!target || !target.endsWith(".optim")) {
    void vscode.window.showWarningMessage("Open a .optim file to check its gradients.");
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("Gradients are checked only in a trusted workspace: Restricted Mode reads no data and runs no computation.");
    return;
  }
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "Checking gradients", cancellable: true }, async (progress, token) => {
    const workDoneToken = `optim-check-${Date.now()}`;
    let reported = 0;
    const listener = languageClient.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind === "report" && value.percentage !== undefined) {
        progress.report({ increment: value.percentage - reported, message: value.message });
        reported = value.percentage;
      }
    });
    try {
      const params: CheckGradientsRequest.Params = { uri: target, all: true, workDoneToken };
      const results = await languageClient.sendRequest<CheckGradientsRequest.Result>(CheckGradientsRequest.method, params, token);
      if (!results || results.cancelled) return;
      tests.report(results);
      reports.update(results);
      const failed = results.grads.filter((grad) => !grad.passed);
      const summary = results.note ?? (failed.length === 0 ? `All ${results.grads.length} gradients match the numerical gradient on ${results.examples} examples.` : `${failed.length} of ${results.grads.length} gradients disagree with the numerical gradient: ${failed.map((grad) => grad.name).join(", ")}.`);
      const shown = failed.length > 0 || results.note ? vscode.window.showWarningMessage(summary, "Show Report") : vscode.window.showInformationMessage(summary, "Show Report");
      void shown.then((action) => {
        if (action === "Show Report") reports.show(target);
      });
    } finally {
      listener.dispose();
    }
  });
}

/** Overlays saved runs (picked from the runs/ folders of the workspace and of the active document) on the loss-curve panel. */
async function compareRuns(curves: RunCurves, log: vscode.LogOutputChannel, folders?: string[]): Promise<void> {
  let chosen: vscode.Uri[];
  if (folders && folders.length > 0) chosen = folders.map((folder) => vscode.Uri.file(folder));
  else {
    const active = vscode.window.activeTextEditor?.document.uri;
    const runsFolders = runsFoldersNear(active);
    const found = await findRunFolders(runsFolders);
    if (found.length === 0) {
      void vscode.window.showInformationMessage("No saved runs: a run's folder appears under runs/ when it starts.");
      return;
    }
    const picked = await vscode.window.showQuickPick(
      found.map((uri) => ({ label: uri.path.split("/").pop() ?? uri.fsPath, description: vscode.workspace.asRelativePath(uri), uri })),
      { canPickMany: true, placeHolder: "Which runs to overlay?" },
    );
    if (!picked || picked.length === 0) return;
    chosen = picked.map((item) => item.uri);
  }
  const loaded = await Promise.all(chosen.map(readSavedRun));
  for (const problem of loaded.filter((entry): entry is string => typeof entry === "string")) {
    log.warn(problem);
    void vscode.window.showWarningMessage(problem);
  }
  curves.addSaved(loaded.filter((entry) => typeof entry !== "string"));
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
