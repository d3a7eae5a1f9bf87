// Plain analysis data -> LSP types. The only place where the two meet.
import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  DiagnosticTag,
  InsertTextFormat,
  MarkupKind,
  SymbolKind as LspSymbolKind,
  type CodeAction,
  type CompletionItem,
  type Diagnostic,
  type DocumentSymbol,
  type Range,
  type TextEdit as LspTextEdit,
} from "vscode-languageserver";
import type { Finding, Severity, TextEdit } from "../analysis/diagnostic";
import type { LineIndex } from "../analysis/line-index";
import type { SymbolKind } from "../analysis/model";
import type { CompletionEntry, CompletionKind } from "../features/completion";
import type { OutlineSymbol } from "../features/symbols";
import type { Span } from "../syntax/ast";

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toRange(lines: LineIndex, span: Span): Range {
  return { start: lines.positionAt(span.start), end: lines.positionAt(span.end) };
}

export function toDiagnostic(lines: LineIndex, finding: Finding): Diagnostic {
  return {
    range: toRange(lines, finding.span),
    severity: severities[finding.severity],
    message: finding.message,
    code: finding.code,
    source: "optim",
    tags: finding.unnecessary ? [DiagnosticTag.Unnecessary] : undefined,
  };
}

export function toTextEdit(lines: LineIndex, edit: TextEdit): LspTextEdit {
  return { range: toRange(lines, edit.span), newText: edit.newText };
}

export function toCodeActions(lines: LineIndex, uri: string, finding: Finding): CodeAction[] {
  return (finding.fixes ?? []).map((fix, index) => ({
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [toDiagnostic(lines, finding)],
    isPreferred: index === 0 && (finding.fixes?.length ?? 0) === 1,
    edit: { changes: { [uri]: fix.edits.map((edit) => toTextEdit(lines, edit)) } },
  }));
}

const completionKinds: Record<CompletionKind, CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword,
  function: CompletionItemKind.Function,
  variable: CompletionItemKind.Variable,
  constant: CompletionItemKind.Constant,
  property: CompletionItemKind.Property,
  value: CompletionItemKind.EnumMember,
  module: CompletionItemKind.Module,
  class: CompletionItemKind.Class,
  event: CompletionItemKind.Event,
  snippet: CompletionItemKind.Snippet,
};

/** A snippet as plain text: each placeholder its default (a choice its first option), tab stops empty. */
export function snippetAsPlainText(snippet: string): string {
  return snippet
    .replace(/\$\{\d+\|([^,|}]*)[^}]*\|\}/g, "$1")
    .replace(/\$\{\d+:([^}]*)\}/g, "$1")
    .replace(/\$\{\d+\}|\$\d+/g, "")
    .replace(/\\([$}\\])/g, "$1");
}

/** A completion item; a client without snippet support gets the snippet as plain text. */
export function toCompletionItem(entry: CompletionEntry, snippetSupport: boolean): CompletionItem {
  const snippet = entry.snippet === true && snippetSupport;
  return {
    label: entry.label,
    kind: completionKinds[entry.kind],
    detail: entry.detail,
    documentation: entry.documentation ? { kind: MarkupKind.Markdown, value: entry.documentation } : undefined,
    insertText: entry.snippet && !snippetSupport && entry.insertText !== undefined ? snippetAsPlainText(entry.insertText) : entry.insertText,
    insertTextFormat: snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
  };
}

const symbolKinds: Record<SymbolKind, LspSymbolKind> = {
  data: LspSymbolKind.Module,
  hyper: LspSymbolKind.Constant,
  param: LspSymbolKind.Variable,
  score: LspSymbolKind.Function,
  loss: LspSymbolKind.Function,
  grad: LspSymbolKind.Function,
  optimizer: LspSymbolKind.Class,
  run: LspSymbolKind.Event,
  sweep: LspSymbolKind.Event,
  search: LspSymbolKind.Event,
  landscape: LspSymbolKind.Event,
  gradcheck: LspSymbolKind.Event,
};

export function toSymbolKind(kind: SymbolKind): LspSymbolKind {
  return symbolKinds[kind];
}

export function toDocumentSymbol(lines: LineIndex, symbol: OutlineSymbol): DocumentSymbol {
  return {
    name: symbol.name,
    detail: symbol.detail,
    kind: symbol.detail === "setting" ? LspSymbolKind.Property : symbolKinds[symbol.kind],
    range: toRange(lines, symbol.span),
    selectionRange: toRange(lines, symbol.selectionSpan),
    children: symbol.children.map((child) => toDocumentSymbol(lines, child)),
  };
}
