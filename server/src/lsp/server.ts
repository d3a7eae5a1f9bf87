// The language server: owns the connection, the open documents and the
// translation of analysis results into LSP messages. Analysis and the editor
// features live in ../analysis and ../features and know nothing of this file.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CodeActionKind,
  FoldingRangeKind,
  SemanticTokensBuilder,
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type WorkspaceFolder,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { analyze, type Analysis } from "../analysis/analyze";
import { LineIndex } from "../analysis/line-index";
import { codeLenses } from "../features/code-lens";
import { completionsAt } from "../features/completion";
import { foldingRanges } from "../features/folding";
import { formatText } from "../features/format";
import { hoverAt } from "../features/hover";
import { inlayHints } from "../features/inlay-hints";
import { definitionAt, prepareRenameAt, referencesAt, renameAt } from "../features/navigation";
import { semanticTokens, tokenModifiers, tokenTypes } from "../features/semantic-tokens";
import { signatureHelpAt } from "../features/signature-help";
import { documentSymbols, matchesQuery } from "../features/symbols";
import { AnalysisSummaryNotification, ServerStatusNotification } from "../protocol";
import { toCodeActions, toCompletionItem, toDiagnostic, toDocumentSymbol, toRange, toSymbolKind, toTextEdit } from "./convert";

export const serverVersion = "0.1.0";

interface AnalysedDocument {
  version: number;
  text: string;
  lines: LineIndex;
  analysis: Analysis;
}

function analyseText(text: string, version: number): AnalysedDocument {
  return { version, text, lines: new LineIndex(text), analysis: analyze(text) };
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const analysed = new Map<string, AnalysedDocument>();
  // Coalesce bursts of edits: only the newest version of a document is analysed.
  const pending = new Map<string, NodeJS.Immediate>();
  let workspaceFolders: WorkspaceFolder[] = [];

  /** The analysis of the document's current version, computed now if the last one is stale. */
  function current(uri: string): AnalysedDocument | undefined {
    const document = documents.get(uri);
    if (!document) return undefined;
    const known = analysed.get(uri);
    if (known && known.version === document.version) return known;
    const fresh = analyseText(document.getText(), document.version);
    analysed.set(uri, fresh);
    return fresh;
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    workspaceFolders = params.workspaceFolders ?? [];
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
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        semanticTokensProvider: { legend: { tokenTypes: [...tokenTypes], tokenModifiers: [...tokenModifiers] }, full: true },
      },
      serverInfo: { name: "optim-language-server", version: serverVersion },
    };
  });

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
        if (documents.get(uri)) publish(uri);
      }),
    );
  }

  function publish(uri: string): void {
    const result = current(uri);
    // A newer version may have arrived while this one was analysed; its own turn will publish.
    if (!result || documents.get(uri)?.version !== result.version) return;
    const findings = result.analysis.findings;
    void connection.sendDiagnostics({
      uri,
      version: result.version,
      diagnostics: findings.map((finding) => toDiagnostic(result.lines, finding)),
    });
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
    if (waiting) clearImmediate(waiting);
    pending.delete(event.document.uri);
    analysed.delete(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  connection.onHover(({ textDocument, position }) => {
    const doc = current(textDocument.uri);
    if (!doc) return null;
    const hover = hoverAt(doc.analysis, doc.text, doc.lines.offsetAt(position));
    return hover ? { contents: { kind: "markdown", value: hover.markdown }, range: toRange(doc.lines, hover.span) } : null;
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    return completionsAt(doc.analysis, doc.text, doc.lines.offsetAt(position)).map(toCompletionItem);
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
      const doc = analysed.get(uri) ?? analyseText(text, -1);
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
    const formatted = formatText(doc.text);
    if (formatted === undefined || formatted === doc.text) return [];
    return [{ range: toRange(doc.lines, { start: 0, end: doc.text.length }), newText: formatted }];
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
    return inlayHints(doc.analysis, span).map((hint) => ({ position: doc.lines.positionAt(hint.offset), label: hint.label, tooltip: hint.tooltip, paddingLeft: false }));
  });

  connection.onCodeLens(({ textDocument }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    return codeLenses(doc.analysis).map((lens) => ({ range: toRange(doc.lines, lens.span), command: { title: lens.title, command: lens.command, arguments: [textDocument.uri, lens.name] } }));
  });

  connection.onCodeAction(({ textDocument, range }) => {
    const doc = current(textDocument.uri);
    if (!doc) return [];
    const start = doc.lines.offsetAt(range.start);
    const end = doc.lines.offsetAt(range.end);
    return doc.analysis.findings.filter((finding) => finding.fixes && finding.span.start <= end && finding.span.end >= start).flatMap((finding) => toCodeActions(doc.lines, textDocument.uri, finding));
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
