// The language server: owns the connection, the open documents and the
// translation of analysis results into LSP messages. Analysis and the editor
// features live in ../analysis and ../features and know nothing of this file.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  FoldingRangeKind,
  MessageType,
  SemanticTokensBuilder,
  ShowMessageNotification,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type Connection,
  type InitializeParams,
  type WorkDoneProgressReporter,
  type InitializeResult,
  type WorkspaceFolder,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { analyze, type Analysis } from "../analysis/analyze";
import { LineIndex } from "../analysis/line-index";
import { codeLenses } from "../features/code-lens";
import { latestResumableRun } from "../train/resumable";
import { completionsAt } from "../features/completion";
import { foldingRanges } from "../features/folding";
import { formatEdits } from "../features/format";
import { hoverAt } from "../features/hover";
import { inlayHints } from "../features/inlay-hints";
import { definitionAt, prepareRenameAt, referencesAt, renameAt } from "../features/navigation";
import { semanticTokens, tokenModifiers, tokenTypes } from "../features/semantic-tokens";
import { signatureHelpAt } from "../features/signature-help";
import { divergenceFinding, searchFinding, valueEdits } from "../features/run-findings";
import { documentSymbols, matchesQuery } from "../features/symbols";
import type { Finding } from "../analysis/diagnostic";
import { AnalysisSummaryNotification, CheckGradientsRequest, CheckResultsNotification, PreviewDataRequest, RunExperimentRequest, RunProgressNotification, SearchProgressNotification, SearchValuesEditRequest, ServerStatusNotification } from "../protocol";
import { describeBackend, type BackendPreference } from "../train/executors";
import { ComputePool } from "../worker/pool";
import { toCheckResults } from "./check-results";
import { defaultCheckSettings } from "../worker/run-check";
import { CarriedFindings } from "./carried-findings";
import { GradientChecks, type CheckDone } from "./checks";
import { DataShapes } from "./data-shapes";
import { GradStates } from "./grad-states";
import { registerServerCommands, serverCommandFor, serverCommands } from "./execute-command";
import { answerRefusals } from "./request-guard";
import { toCodeActions, toCompletionItem, toDiagnostic, toDocumentSymbol, toRange, toSymbolKind, toTextEdit } from "./convert";

export const serverVersion = "0.1.0";

interface AnalysedDocument {
  version: number;
  text: string;
  lines: LineIndex;
  analysis: Analysis;
}

function analyseText(text: string, version: number, maxTensorEntries?: number): AnalysedDocument {
  return { version, text, lines: new LineIndex(text), analysis: analyze(text, { maxTensorEntries }) };
}

/** What the client may say at start-up (VS Code's client does). */
interface InitializationOptions {
  /** False in an untrusted (Restricted Mode) workspace. Defaults to true for other editors. */
  trusted?: boolean;
  /** Milliseconds between the last edit and the automatic gradient check. */
  checkDelayMs?: number;
  /** The executor for training: "auto" (tfjs-node, else our kernels, else TensorFlow.js on wasm, else cpu), or one of them. */
  backend?: BackendPreference;
  /** Largest data set read, in megabytes; a larger one is an error on its declaration. */
  maxDataMegabytes?: number;
  /** Most entries a param or a value computed from it may have; more is an error before anything is allocated. */
  maxTensorEntries?: number;
  /** Seconds a gradient check may take before it stops and says what it did not check. */
  checkBudgetSeconds?: number;
  /** Seconds a run, sweep or landscape may take before it stops as if cancelled, its curve so far saved. */
  runBudgetSeconds?: number;
  /** Heap of each compute worker, in megabytes: a job that needs more ends the worker, never the server. */
  workerHeapMegabytes?: number;
  /** True when the client runs the code lenses' commands itself (VS Code's extension); else lenses name the server's commands. */
  clientCommands?: boolean;
}

/** What the server assumes when the client does not say. */
const defaults = { checkBudgetSeconds: 120, runBudgetSeconds: 3600, workerHeapMegabytes: 4096 };

export function startServer(connection: Connection, workerPath: string): void {
  const documents = new TextDocuments(TextDocument);
  const analysed = new Map<string, AnalysedDocument>();
  /** The last gradient check of each document, kept only while its version is current. */
  const lastCheck = new Map<string, CheckDone>();
  /** Until a version's own check finishes, the last check's findings that still hold. */
  const carried = new CarriedFindings();
  /** Findings from runs (a divergence), for the version they ran on. */
  const runFindings = new Map<string, { version: number; findings: Finding[] }>();
  /** The last step size each sweep suggested, by document and optimizer. */
  const suggestions = new Map<string, { lr: number; sweep: string }>();
  /** Each document's searches' best trials, by search name, offered as a quick fix while the file does not have their values. */
  const searchBests = new Map<string, Map<string, { values: Record<string, number>; evalAccuracy?: number; testAccuracy?: number }>>();
  let checks: GradientChecks | undefined;
  let initOptions: InitializationOptions = {};
  /** Which of the client's views the server may ask to be drawn again. */
  let refreshes = { codeLens: false, inlayHint: false };
  /** The data's real sizes, for hover and inlay hints, once a check has read it. */
  const shapes = new DataShapes(() => initOptions.maxTensorEntries);
  const refreshCodeLenses = () => {
    if (refreshes.codeLens) void connection.sendRequest(CodeLensRefreshRequest.type);
  };
  const gradStates = new GradStates(refreshCodeLenses);
  /** Runs under way, as `runsFolder#name`. */
  const runningNow = new Set<string>();
  let snippetSupport = false;
  // A worker's death is logged, and shown at most once a minute so a document that kills it on every edit does not flood the editor.
  let lastShownStop = -Infinity;
  const workerStopped = (message: string) => {
    connection.console.warn(message);
    if (performance.now() - lastShownStop < 60_000) return;
    lastShownStop = performance.now();
    void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `Optim: ${message}` });
  };
  const pool = new ComputePool(workerPath, (message) => connection.console.log(message), workerStopped);
  // Runs get a worker of their own, so a long run never holds up the checks after edits.
  const trainingPool = new ComputePool(workerPath, (message) => connection.console.log(message), workerStopped);
  // Coalesce bursts of edits: a version is analysed and published once no newer
  // edit has come for settleMs, so a burst publishes its newest version only.
  const pending = new Map<string, NodeJS.Timeout>();
  const settleMs = 15;
  /** What was last published for each document, so a version is not published twice with the same diagnostics. */
  const lastPublished = new Map<string, { version: number; diagnostics: string }>();
  let workspaceFolders: WorkspaceFolder[] = [];

  /** The analysis of the document's current version, computed now if the last one is stale. */
  function current(uri: string): AnalysedDocument | undefined {
    const document = documents.get(uri);
    if (!document) return undefined;
    const known = analysed.get(uri);
    if (known && known.version === document.version) return known;
    const fresh = analyseText(document.getText(), document.version, initOptions.maxTensorEntries);
    analysed.set(uri, fresh);
    return fresh;
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    workspaceFolders = params.workspaceFolders ?? [];
    const options = (params.initializationOptions ?? {}) as InitializationOptions;
    initOptions = options;
    refreshes = { codeLens: params.capabilities.workspace?.codeLens?.refreshSupport === true, inlayHint: params.capabilities.workspace?.inlayHint?.refreshSupport === true };
    snippetSupport = params.capabilities.textDocument?.completion?.completionItem?.snippetSupport === true;
    const workspaceRoot = workspaceFolders[0] ? fileURLToPath(workspaceFolders[0].uri) : undefined;
    const heapMegabytes = options.workerHeapMegabytes ?? defaults.workerHeapMegabytes;
    pool.configure({ heapMegabytes });
    trainingPool.configure({ heapMegabytes });
    const limits = { maxTensorEntries: options.maxTensorEntries, timeBudgetMs: (options.checkBudgetSeconds ?? defaults.checkBudgetSeconds) * 1000 };
    checks = new GradientChecks(pool, { trusted: options.trusted ?? true, workspaceRoot, debounceMs: options.checkDelayMs ?? 75, maxDataBytes: (options.maxDataMegabytes ?? 1024) * 1024 * 1024, limits }, (result) => {
      // A check of an older version is dropped: its ranges may no longer fit.
      if (documents.get(result.uri)?.version !== result.version) return;
      recordCheck(result);
      const doc = current(result.uri);
      if (doc) void connection.sendNotification(CheckResultsNotification.method, checkResults(doc, result));
    }, gradStates);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: [".", "("] },
        signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: ["="] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        documentFormattingProvider: true,
        foldingRangeProvider: true,
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: serverCommands },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        semanticTokensProvider: { legend: { tokenTypes: [...tokenTypes], tokenModifiers: [...tokenModifiers] }, full: true },
      },
      serverInfo: { name: "optim-language-server", version: serverVersion },
    };
  });

  connection.onInitialized(() => {
    const ready = `optim language server ${serverVersion}`;
    void connection.sendNotification(ServerStatusNotification.method, { state: "ready", detail: ready } satisfies ServerStatusNotification.Params);
    // Restricted Mode computes nothing, so it starts no backend either.
    if (initOptions.trusted === false) return;
    void pool.backend(initOptions.backend ?? "auto").then(({ backend, notes }) => {
      void connection.sendNotification(ServerStatusNotification.method, {
        state: "ready",
        detail: `${ready}; training runs on ${describeBackend(backend)}${notes.length ? `: ${notes.join("; ")}` : ""}`,
        backend,
      } satisfies ServerStatusNotification.Params);
    });
  });

  function schedule(document: TextDocument): void {
    const uri = document.uri;
    const waiting = pending.get(uri);
    if (waiting) clearTimeout(waiting);
    pending.set(
      uri,
      setTimeout(() => {
        pending.delete(uri);
        // A request's exception becomes its error answer; this one has no request, and must not end the process.
        try {
          if (documents.get(uri)) publish(uri);
        } catch (failure) {
          connection.console.error(`analysing ${uri} failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`);
        }
      }, settleMs),
    );
  }

  /** A whole-document check of the current version: its findings, and the data sizes it read. */
  function recordCheck(result: CheckDone): void {
    lastCheck.set(result.uri, result);
    publishDiagnostics(result.uri);
    const doc = current(result.uri);
    if (doc && shapes.learned(result.uri, doc, result.facts) && refreshes.inlayHint) void connection.languages.inlayHint.refresh();
  }

  function checkResults(doc: AnalysedDocument, result: CheckDone) {
    const messages = new Map(result.findings.filter((finding) => finding.code === "gradcheck" || finding.code === "gradcheck-inherited").map((finding) => [doc.text.slice(finding.span.start, finding.span.end), finding.message]));
    return toCheckResults(result.report, doc.lines, result.uri, result.version, messages, result.note, result.durationMs);
  }

  /** Static findings of the current version, plus its gradient check's (or, until that finishes, the last check's that still hold). */
  function publishDiagnostics(uri: string): Finding[] {
    const result = current(uri);
    if (!result) return [];
    const check = lastCheck.get(uri);
    const fromRuns = runFindings.get(uri);
    const fromCheck = check?.version === result.version ? carried.keep(uri, result, check.findings) : carried.carry(uri, result);
    const findings = [...result.analysis.findings, ...fromCheck, ...(fromRuns?.version === result.version ? fromRuns.findings : []), ...searchFindings(uri)];
    const diagnostics = findings.map((finding) => toDiagnostic(result.lines, finding));
    const key = JSON.stringify(diagnostics);
    const last = lastPublished.get(uri);
    if (last?.version === result.version && last.diagnostics === key) return findings;
    lastPublished.set(uri, { version: result.version, diagnostics: key });
    void connection.sendDiagnostics({ uri, version: result.version, diagnostics });
    return findings;
  }

  /** The best trials of a document's searches that the file does not have yet, as findings on the current version. */
  function searchFindings(uri: string): Finding[] {
    const doc = current(uri);
    if (!doc) return [];
    return [...(searchBests.get(uri) ?? [])].flatMap(([search, best]) => searchFinding(doc.analysis, doc.text, search, best) ?? []);
  }

  function publish(uri: string): void {
    const result = current(uri);
    // A newer version may have arrived while this one was analysed; its own turn will publish.
    if (!result || documents.get(uri)?.version !== result.version) return;
    const findings = publishDiagnostics(uri);
    checks?.schedule({ uri, version: result.version, text: result.text });
    void connection.sendNotification(AnalysisSummaryNotification.method, {
      uri,
      version: result.version,
      declarations: result.analysis.document.declarations.map((declaration) => ({
        kind: declaration.kind,
        name: declaration.name.text,
        line: result.lines.positionAt(declaration.keywordSpan.start).line,
      })),
      errors: findings.filter((finding) => finding.severity === "error").length,
      warnings: findings.filter((finding) => finding.severity === "warning").length,
    } satisfies AnalysisSummaryNotification.Params);
  }

  documents.onDidChangeContent((change) => schedule(change.document));
  documents.onDidClose((event) => {
    const waiting = pending.get(event.document.uri);
    if (waiting) clearTimeout(waiting);
    pending.delete(event.document.uri);
    analysed.delete(event.document.uri);
    lastPublished.delete(event.document.uri);
    lastCheck.delete(event.document.uri);
    searchBests.delete(event.document.uri);
    carried.forget(event.document.uri);
    shapes.forget(event.document.uri);
    gradStates.forget(event.document.uri);
    checks?.cancel(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  async function checkGradients(params: CheckGradientsRequest.Params, progress: WorkDoneProgressReporter, token: CancellationToken): Promise<CheckGradientsRequest.Result | null> {
    const doc = current(params.uri);
    if (!doc || !checks) return null;
    progress.begin("Checking gradients", 0, params.all ? "every entry" : "sampled entries", true);
    const settings = { ...defaultCheckSettings, all: params.all ?? false, ...(params.grad ? { only: { grad: params.grad } } : {}) };
    const result = await checks.runJob({ uri: params.uri, version: doc.version, text: doc.text }, settings, true, (done, total) => progress.report(Math.round((100 * done) / Math.max(1, total)), `${done} of ${total} evaluations`), token);
    progress.done();
    if (!result) return { ...toCheckResults(undefined, doc.lines, params.uri, doc.version, new Map()), cancelled: true };
    // A whole-document check on the current version also refreshes the diagnostics.
    if (!params.grad && documents.get(params.uri)?.version === result.version) recordCheck(result);
    return checkResults(doc, result);
  }

  /** Where a document's runs are saved: runs/ in its workspace folder, else beside it. */
  function runsFolderOf(uri: string): string {
    const file = fileURLToPath(uri);
    const root = workspaceFolders.find((folder) => file.startsWith(fileURLToPath(folder.uri)));
    return join(root ? fileURLToPath(root.uri) : dirname(file), "runs");
  }

  async function runExperiment(params: RunExperimentRequest.Params, progress: WorkDoneProgressReporter, token: CancellationToken): Promise<RunExperimentRequest.Result> {
    const doc = current(params.uri);
    if (!doc) return { run: params.name, status: "failed", message: "the document is not open" };
    if (initOptions.trusted === false) return { run: params.name, status: "failed", message: "runs start only in a trusted workspace: Restricted Mode reads no data and runs no computation" };
    const file = fileURLToPath(params.uri);
    const runsFolder = runsFolderOf(params.uri);
    progress.begin(`Running ${params.name}`, 0, "starting", true);
    const job = trainingPool.train(
      {
        uri: params.uri,
        text: doc.text,
        baseDirectory: dirname(file),
        maxDataBytes: (initOptions.maxDataMegabytes ?? 1024) * 1024 * 1024,
        run: params.name,
        seed: params.seed,
        backend: initOptions.backend ?? "auto",
        runsFolder,
        maxTensorEntries: initOptions.maxTensorEntries,
        timeBudgetMs: (initOptions.runBudgetSeconds ?? defaults.runBudgetSeconds) * 1000,
        trialHeapMegabytes: initOptions.workerHeapMegabytes ?? defaults.workerHeapMegabytes,
        ...(params.resume ? { resume: params.resume } : {}),
      },
      (points) => {
        const point = points[points.length - 1];
        void connection.sendNotification(RunProgressNotification.method, { uri: params.uri, run: params.name, point, points } satisfies RunProgressNotification.Params);
        progress.report(`step ${point.step}: loss ${point.loss.toPrecision(4)}${point.evalAccuracy !== undefined ? `, eval accuracy ${point.evalAccuracy.toFixed(3)}` : ""}`);
      },
      ({ trial, done, total, axes }) => {
        void connection.sendNotification(SearchProgressNotification.method, { uri: params.uri, search: params.name, trial, axes, done, total } satisfies SearchProgressNotification.Params);
        progress.report(Math.round((100 * done) / total), `trial ${done} of ${total}${trial.evalAccuracy !== undefined ? `: eval accuracy ${trial.evalAccuracy.toFixed(3)}` : ""}`);
      },
    );
    token.onCancellationRequested(() => job.cancel());
    // A run under way has no Resume lens: its folder has checkpoints but no end yet.
    const running = `${runsFolder}#${params.name}`;
    runningNow.add(running);
    refreshCodeLenses();
    const outcome = await job.outcome.finally(() => {
      runningNow.delete(running);
      refreshCodeLenses();
    });
    progress.done();
    const after = current(params.uri);
    const declaration = doc.analysis.document.declarations.find((candidate) => candidate.name.text === params.name && "block" in candidate);
    const by = declaration && "block" in declaration ? declaration.block?.settings.find((setting) => setting.key.text === "by")?.value : undefined;
    const optimizer = by?.kind === "name" ? by.name : undefined;
    if (outcome.sweep?.suggestion && optimizer) suggestions.set(`${params.uri}#${optimizer}`, { lr: outcome.sweep.suggestion.lr, sweep: params.name });
    const best = outcome.search?.trials[0];
    if (best && best.status !== "failed" && best.evalLoss !== undefined) {
      const bests = searchBests.get(params.uri) ?? new Map();
      bests.set(params.name, { values: best.values, evalAccuracy: best.evalAccuracy, testAccuracy: best.testAccuracy });
      searchBests.set(params.uri, bests);
      publishDiagnostics(params.uri);
    }
    // A divergence is a finding on the optimizer's step size, while the document is as it was run.
    if (outcome.status === "diverged" && outcome.divergence && after && after.version === doc.version) {
      const finding = divergenceFinding(after.analysis, params.name, outcome.divergence, optimizer ? suggestions.get(`${params.uri}#${optimizer}`) : undefined);
      if (finding) {
        runFindings.set(params.uri, { version: doc.version, findings: [finding] });
        publishDiagnostics(params.uri);
      }
    }
    return { run: outcome.run, status: outcome.status, message: outcome.message, folder: outcome.folder, backend: outcome.backend, sweep: outcome.sweep, search: outcome.search, landscape: outcome.landscape, divergence: outcome.divergence, reported: outcome.reported, earlyStop: outcome.earlyStop };
  }

  async function previewData(params: PreviewDataRequest.Params): Promise<PreviewDataRequest.Result> {
    const doc = current(params.uri);
    if (!doc) return { name: params.name, problem: "the document is not open", splits: [] };
    if (initOptions.trusted === false) return { name: params.name, problem: "data is read only in a trusted workspace: Restricted Mode reads no data", splits: [] };
    return trainingPool.preview({ text: doc.text, baseDirectory: dirname(fileURLToPath(params.uri)), maxDataBytes: (initOptions.maxDataMegabytes ?? 1024) * 1024 * 1024, name: params.name });
  }

  // The optim/* requests report progress only on a token the client gave.
  connection.onRequest(CheckGradientsRequest.method, (params: CheckGradientsRequest.Params, token) => checkGradients(params, connection.window.attachWorkDoneProgress(params.workDoneToken), token));
  connection.onRequest(RunExperimentRequest.method, (params: RunExperimentRequest.Params, token) => runExperiment(params, connection.window.attachWorkDoneProgress(params.workDoneToken), token));
  connection.onRequest(PreviewDataRequest.method, (params: PreviewDataRequest.Params) => previewData(params));
  connection.onRequest(SearchValuesEditRequest.method, (params: SearchValuesEditRequest.Params): SearchValuesEditRequest.Result => {
    const doc = current(params.uri);
    if (!doc) return { edits: [], problem: "the document is not open" };
    const found = valueEdits(doc.text, params.values);
    if (!found.ok) return { edits: [], problem: found.message };
    return { edits: found.edits.map((edit) => ({ range: toRange(doc.lines, edit.span), newText: edit.newText })) };
  });
  registerServerCommands(connection, { checkGradients, runExperiment, previewData });
  answerRefusals(connection);

  connection.onHover(({ textDocument, position }) => {
    const doc = current(textDocument.uri);
    if (!doc) return null;
    // Data summaries and gradient checks from the last check of this version, if it has run.
    const check = lastCheck.get(textDocument.uri);
    const fresh = check?.version === doc.version ? check : undefined;
    const hover = hoverAt(shapes.analysisOf(textDocument.uri, doc), doc.text, doc.lines.offsetAt(position), { data: fresh?.data, grads: gradStates.resultsFor(textDocument.uri, doc.version) });
    return hover ? { contents: { kind: "markdown", value: hover.markdown }, range: toRange(doc.lines, hover.span) } : null;
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    return completionsAt(doc.analysis, doc.text, doc.lines.offsetAt(position)).map((entry) => toCompletionItem(entry, snippetSupport));
  });

  connection.onSignatureHelp(({ textDocument, position }) => {
    const doc = current(textDocument.uri);
    if (!doc) return null;
    const help = signatureHelpAt(doc.text, doc.lines.offsetAt(position));
    if (!help) return null;
    return {
      signatures: [{ label: help.label, documentation: { kind: "markdown", value: help.documentation }, parameters: help.parameters.map((parameter) => ({ label: parameter.label, documentation: parameter.documentation })) }],
      activeSignature: 0,
      activeParameter: help.activeParameter,
    };
  });

  connection.onDefinition(({ textDocument, position }) => {
    const doc = current(textDocument.uri);
    const span = doc ? definitionAt(doc.analysis.model, doc.lines.offsetAt(position)) : undefined;
    return doc && span ? { uri: textDocument.uri, range: toRange(doc.lines, span) } : null;
  });

  connection.onReferences(({ textDocument, position, context }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    return referencesAt(doc.analysis.model, doc.lines.offsetAt(position), context.includeDeclaration).map((span) => ({ uri: textDocument.uri, range: toRange(doc.lines, span) }));
  });

  connection.onPrepareRename(({ textDocument, position }) => {
    const doc = current(textDocument.uri);
    const prepared = doc ? prepareRenameAt(doc.analysis.model, doc.lines.offsetAt(position)) : undefined;
    return doc && prepared ? { range: toRange(doc.lines, prepared.span), placeholder: prepared.placeholder } : null;
  });

  connection.onRenameRequest(({ textDocument, position, newName }) => {
    const doc = current(textDocument.uri);
    if (!doc) return null;
    const result = renameAt(doc.analysis.model, doc.lines.offsetAt(position), newName);
    if ("error" in result) throw new Error(result.error);
    return { changes: { [textDocument.uri]: result.edits.map((edit) => toTextEdit(doc.lines, edit)) } };
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const doc = current(textDocument.uri);
    return doc ? documentSymbols(doc.analysis).map((symbol) => toDocumentSymbol(doc.lines, symbol)) : [];
  });

  connection.onWorkspaceSymbol(async ({ query }) => {
    const results = [];
    for (const { uri, text } of await workspaceTexts(documents, workspaceFolders)) {
      const doc = analysed.get(uri) ?? analyseText(text, -1, initOptions.maxTensorEntries);
      for (const symbol of documentSymbols(doc.analysis)) {
        if (!matchesQuery(symbol.name, query)) continue;
        results.push({ name: symbol.name, kind: toSymbolKind(symbol.kind), containerName: symbol.kind, location: { uri, range: toRange(doc.lines, symbol.selectionSpan) } });
      }
    }
    return results;
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    return (formatEdits(doc.text) ?? []).map((edit) => toTextEdit(doc.lines, edit));
  });

  connection.onFoldingRanges(({ textDocument }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    return foldingRanges(doc.analysis, doc.lines).map((range) => ({ startLine: range.startLine, endLine: range.endLine, kind: range.kind === "comment" ? FoldingRangeKind.Comment : undefined }));
  });

  connection.languages.inlayHint.on(({ textDocument, range }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    const span = { start: doc.lines.offsetAt(range.start), end: doc.lines.offsetAt(range.end) };
    return inlayHints(shapes.analysisOf(textDocument.uri, doc), span).map((hint) => ({ position: doc.lines.positionAt(hint.offset), label: hint.label, tooltip: hint.tooltip, paddingLeft: false }));
  });

  connection.onCodeLens(({ textDocument }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    // Saved runs are looked for only where runs may start: a trusted workspace with a file on disk.
    const runsFolder = initOptions.trusted !== false && textDocument.uri.startsWith("file:") ? runsFolderOf(textDocument.uri) : undefined;
    const resumable = (run: string) => (runsFolder && !runningNow.has(`${runsFolder}#${run}`) ? latestResumableRun(runsFolder, run) : undefined);
    return codeLenses(doc.analysis, (grad) => gradStates.stateOf(textDocument.uri, doc.version, grad), resumable).map((lens) => ({
      range: toRange(doc.lines, lens.span),
      command: { title: lens.title, command: initOptions.clientCommands ? lens.command : serverCommandFor[lens.command], arguments: [textDocument.uri, lens.name, ...(lens.folder ? [lens.folder] : [])] },
    }));
  });

  connection.onCodeAction(({ textDocument, range }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    const start = doc.lines.offsetAt(range.start);
    const end = doc.lines.offsetAt(range.end);
    return [...doc.analysis.findings, ...searchFindings(textDocument.uri)].filter((finding) => finding.fixes && finding.span.start <= end && finding.span.end >= start).flatMap((finding) => toCodeActions(doc.lines, textDocument.uri, finding));
  });

  connection.languages.semanticTokens.on(({ textDocument }) => {
    const doc = current(textDocument.uri);
    const builder = new SemanticTokensBuilder();
    if (!doc) return builder.build();
    for (const token of semanticTokens(doc.analysis, doc.text, doc.lines)) {
      const modifiers = token.modifiers.reduce((bits, modifier) => bits | (1 << tokenModifiers.indexOf(modifier)), 0);
      builder.push(token.line, token.character, token.length, tokenTypes.indexOf(token.type), modifiers);
    }
    return builder.build();
  });

  documents.listen(connection);
  connection.listen();
}

/** Open documents, then the workspace's other .optim files from disk. */
async function workspaceTexts(documents: TextDocuments<TextDocument>, folders: WorkspaceFolder[]): Promise<{ uri: string; text: string }[]> {
  const result = documents.all().map((document) => ({ uri: document.uri, text: document.getText() }));
  const open = new Set(result.map((entry) => entry.uri));
  for (const folder of folders) {
    for (const path of await findOptimFiles(fileURLToPath(folder.uri), 4)) {
      const uri = pathToFileURL(path).toString();
      if (open.has(uri)) continue;
      try {
        result.push({ uri, text: await readFile(path, "utf8") });
      } catch {
        // A file that vanished or cannot be read has no symbols.
      }
    }
  }
  return result;
}

async function findOptimFiles(directory: string, depth: number): Promise<string[]> {
  if (depth < 0) return [];
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await findOptimFiles(path, depth - 1)));
    else if (entry.name.endsWith(".optim")) files.push(path);
  }
  return files;
}
