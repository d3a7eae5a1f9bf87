// The language server: owns the connection, the open documents and the
// translation of analysis results into LSP messages. Analysis itself lives in
// ../analysis and knows nothing of this file.
import {
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { analyze, type Analysis } from "../analysis/analyze";
import { LineIndex } from "../analysis/line-index";
import { AnalysisSummaryNotification, ServerStatusNotification } from "../protocol";
import { toDiagnostic } from "./convert";

export const serverVersion = "0.1.0";

interface AnalysedDocument {
  version: number;
  lines: LineIndex;
  analysis: Analysis;
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const analysed = new Map<string, AnalysedDocument>();
  // Coalesce bursts of edits: only the newest version of a document is analysed.
  const pending = new Map<string, NodeJS.Immediate>();

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
      serverInfo: { name: "optim-language-server", version: serverVersion },
    }),
  );

  connection.onInitialized(() => {
    void connection.sendNotification(ServerStatusNotification.method, {
      state: "ready",
      detail: `optim language server ${serverVersion}`,
    } satisfies ServerStatusNotification.Params);
  });

  function schedule(document: TextDocument): void {
    const uri = document.uri;
    const waiting = pending.get(uri);
    if (waiting) clearImmediate(waiting);
    pending.set(
      uri,
      setImmediate(() => {
        pending.delete(uri);
        const current = documents.get(uri);
        if (current) publish(current);
      }),
    );
  }

  function publish(document: TextDocument): void {
    const text = document.getText();
    const result: AnalysedDocument = { version: document.version, lines: new LineIndex(text), analysis: analyze(text) };
    // A newer version may have arrived while this one was analysed; its own turn will publish.
    if (documents.get(document.uri)?.version !== result.version) return;
    analysed.set(document.uri, result);
    const findings = result.analysis.findings;
    void connection.sendDiagnostics({
      uri: document.uri,
      version: result.version,
      diagnostics: findings.map((finding) => toDiagnostic(result.lines, finding)),
    });
    void connection.sendNotification(AnalysisSummaryNotification.method, {
      uri: document.uri,
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
    if (waiting) clearImmediate(waiting);
    pending.delete(event.document.uri);
    analysed.delete(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  documents.listen(connection);
  connection.listen();
}
