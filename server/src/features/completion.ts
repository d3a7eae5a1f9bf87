// Completion. The context comes from the tokens before the cursor, so it
// works while the declaration being typed is still incomplete; the names
// come from the last analysis.
import type { IToken } from "chevrotain";
import type { Analysis } from "../analysis/analyze";
import type { SymbolKind } from "../analysis/model";
import { builtinFunctions, implicitNames, initialisers } from "../language/builtins";
import { settingSpecsFor } from "../language/lookup";
import { dataSources, optimizerRules, optimizerRulesByName, schedules, searchedSettingDoc, strategies, type CallSpec, type SettingSpec } from "../language/settings";
import type * as ast from "../syntax/ast";
import { optimLexer } from "../syntax/tokens";
import { declarationAt } from "./locate";

export type CompletionKind = "keyword" | "function" | "variable" | "constant" | "property" | "value" | "module" | "class" | "event" | "snippet";

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  /** Text to insert; a snippet with $1 placeholders when `snippet` is set. */
  insertText?: string;
  snippet?: boolean;
}

const declarationSnippets: CompletionEntry[] = [
  { label: "data", kind: "keyword", detail: "a data set", insertText: 'data ${1:name} = ${2|idx,cifar10,csv,npy,toy,spiral,blobs,inline|}("${3}") { ${4:train 50000, val 1000} }', snippet: true },
  { label: "hyper", kind: "keyword", detail: "a hyper-parameter", insertText: "hyper ${1:reg} = ${2:1e-3}", snippet: true },
  { label: "param", kind: "keyword", detail: "a parameter tensor", insertText: "param ${1:W}: [${2:C}, ${3:D}] = ${4:randn * 0.0001}", snippet: true },
  { label: "score", kind: "keyword", detail: "a score function", insertText: "score ${1:s} = ${2:X @ W^T}", snippet: true },
  { label: "loss", kind: "keyword", detail: "a loss", insertText: "loss ${1:L} = ${2}", snippet: true },
  { label: "grad", kind: "keyword", detail: "a hand-derived gradient, checked numerically", insertText: "grad d${1:L}/d${2:W} = ${3}", snippet: true },
  { label: "optimizer", kind: "keyword", detail: "an update rule and its settings", insertText: "optimizer ${1:opt} = ${2|sgd,momentum,nesterov,adagrad,rmsprop,adam|} { lr ${3:1e-3}, batch ${4:256} }", snippet: true },
  { label: "run", kind: "keyword", detail: "a training run or a search", insertText: "run ${1:train} {\n  minimize ${2:L}\n  on ${3:data}.train\n  by ${4:opt}\n  steps ${5:1000}\n}", snippet: true },
  { label: "sweep", kind: "keyword", detail: "a step-size sweep", insertText: "sweep ${1:step_sizes} { minimize ${2:L}; on ${3:data}.train; by ${4:opt}; lr ${5:1e-10 .. 1e-1} }", snippet: true },
  { label: "search", kind: "keyword", detail: "a search over hypers and optimizer settings", insertText: "search ${1:tune} { minimize ${2:L}; on ${3:data}.train; by ${4:opt}; epochs ${5:1}; eval ${3:data}.val; trials ${6:20}; lr ${7:1e-4 .. 1e-1 log} }", snippet: true },
  { label: "landscape", kind: "keyword", detail: "a loss-landscape slice", insertText: "landscape ${1:slice} { of ${2:L}; on ${3:data}.train; directions ${4:1} }", snippet: true },
  { label: "gradcheck", kind: "keyword", detail: "a gradient check", insertText: "gradcheck ${1:check} { of ${2:L}; on ${3:data}.train; first ${4:3} }", snippet: true },
];

const symbolCompletionKind: Record<SymbolKind, CompletionKind> = {
  data: "module",
  hyper: "constant",
  param: "variable",
  score: "function",
  loss: "function",
  optimizer: "class",
  run: "event",
  sweep: "event",
  search: "event",
  landscape: "event",
  gradcheck: "event",
  grad: "function",
};

function isKeyword(token: IToken | undefined): boolean {
  return token?.tokenType.CATEGORIES?.some((category) => category.name === "DeclarationKeyword") ?? false;
}

function callSnippet(spec: CallSpec): CompletionEntry {
  const args = [...spec.positional.map((arg, i) => (arg.value.kind === "string" ? `"\${${i + 1}:${arg.name}}"` : `\${${i + 1}:${arg.name}}`))];
  const required = spec.named.filter((arg) => arg.required).map((arg, i) => `${arg.name}=\${${spec.positional.length + i + 1}}`);
  return { label: spec.name, kind: "function", detail: `${spec.name}(…)`, documentation: spec.doc, insertText: `${spec.name}(${[...args, ...required].join(", ")})`, snippet: true };
}

function namedArguments(spec: CallSpec): CompletionEntry[] {
  return spec.named.map((arg) => ({ label: `${arg.name}=`, kind: "property", detail: arg.defaultText ? `default ${arg.defaultText}` : undefined, documentation: arg.doc, insertText: `${arg.name}=` }));
}

export function completionsAt(analysis: Analysis, text: string, offset: number): CompletionEntry[] {
  const { model } = analysis;
  // The word being typed is left out of the context; the editor filters by it.
  let wordStart = offset;
  while (wordStart > 0 && /[A-Za-z0-9_]/.test(text[wordStart - 1])) wordStart--;
  const tokens = optimLexer.tokenize(text.slice(0, wordStart)).tokens;
  let declarationStart = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (isKeyword(tokens[i])) {
      declarationStart = i;
      break;
    }
  }
  const lineStart = text.lastIndexOf("\n", wordStart - 1) + 1;
  // In a comment nothing is offered: a comment runs to the end of its line.
  if ((optimLexer.tokenize(text.slice(lineStart, offset)).groups.comments ?? []).length > 0) return [];
  const atLineStart = text.slice(lineStart, wordStart).trim() === "";
  if (declarationStart < 0) return declarationSnippets;

  const inDeclaration = tokens.slice(declarationStart);
  const keyword = inDeclaration[0].image;
  // Depths and the innermost open bracket.
  const stack: IToken[] = [];
  for (const token of inDeclaration) {
    const kind = token.tokenType.name;
    if (kind === "LParen" || kind === "LBracket" || kind === "LCurly") stack.push(token);
    else if ((kind === "RParen" || kind === "RBracket" || kind === "RCurly") && stack.length > 0) stack.pop();
  }
  const previous = inDeclaration[inDeclaration.length - 1];
  const previousKind = previous.tokenType.name;
  const innermost = stack[stack.length - 1];
  const names = (kinds: SymbolKind[]): CompletionEntry[] =>
    [...model.symbols.values(), ...model.experiments.values()]
      .filter((symbol) => kinds.includes(symbol.kind))
      .map((symbol) => ({ label: symbol.name, kind: symbolCompletionKind[symbol.kind], detail: symbol.kind }));
  const expressionItems = (): CompletionEntry[] => [
    ...names(["hyper", "param", "score", "loss"]),
    ...implicitNames.map((implicit) => ({ label: implicit.name, kind: "variable" as const, detail: "built-in", documentation: implicit.doc })),
    ...builtinFunctions.map((builtin) => ({ label: builtin.name, kind: "function" as const, detail: builtin.signature, documentation: `${builtin.doc}\n\n${builtin.formula}`, insertText: `${builtin.name}($1)`, snippet: true })),
  ];

  // A new declaration may start on any line that is not inside brackets.
  if (atLineStart && stack.length === 0 && !/Operator$|^(Plus|Minus|Star|Slash|At|Caret|Equals|Colon|Comma|DotDot)$/.test(previousKind) && !previous.tokenType.CATEGORIES?.some((category) => /Operator$/.test(category.name))) {
    return declarationSnippets;
  }

  // After `fmnist.`: the splits.
  if (previousKind === "Dot") return ["train", "val", "test"].map((split) => ({ label: split, kind: "property", detail: "split" }));

  // Inside a call's parentheses.
  if (innermost?.tokenType.name === "LParen") {
    const calleeIndex = inDeclaration.indexOf(innermost) - 1;
    const callee = calleeIndex >= 0 && inDeclaration[calleeIndex].tokenType.name === "Identifier" ? inDeclaration[calleeIndex].image : undefined;
    const spec = [...dataSources, ...schedules, ...strategies].find((candidate) => candidate.name === callee);
    if (spec) return namedArguments(spec);
    const builtin = builtinFunctions.find((candidate) => candidate.name === callee);
    const named = builtin?.parameters.filter((parameter) => parameter.named).map((parameter) => ({ label: `${parameter.name}=`, kind: "property" as const, documentation: parameter.doc, insertText: `${parameter.name}=` })) ?? [];
    return [...named, ...expressionItems()];
  }

  // Inside a block: a setting's key or its value.
  if (innermost?.tokenType.name === "LCurly") {
    const declaration = declarationAt(analysis.document, inDeclaration[0].startOffset);
    const specs: SettingSpec[] = declaration && declaration.kind === keyword ? settingSpecsFor(declaration) : [];
    const keyPosition = ["LCurly", "Comma", "Semicolon"].includes(previousKind) || atLineStart;
    if (keyPosition) {
      const blockStart = innermost.startOffset;
      const present = new Set(optimLexer.tokenize(text.slice(blockStart, wordStart)).tokens.filter((token, i, all) => token.tokenType.name === "Identifier" && (i === 0 || ["LCurly", "Comma", "Semicolon"].includes(all[i - 1].tokenType.name) || all[i - 1].endLine !== token.startLine)).map((token) => token.image));
      const own: CompletionEntry[] = specs
        .filter((spec) => !present.has(spec.name))
        .map((spec) => ({ label: spec.name, kind: "property", detail: spec.required ? "required" : spec.defaultText ? `default ${spec.defaultText}` : undefined, documentation: spec.doc }));
      return declaration?.kind === "search" ? [...own, ...searchableKeys(analysis, declaration).filter((item) => !present.has(item.label))] : own;
    }
    // The key is the first token of the setting.
    let keyIndex = inDeclaration.length - 1;
    while (keyIndex > 0 && !["LCurly", "Comma", "Semicolon"].includes(inDeclaration[keyIndex - 1].tokenType.name) && inDeclaration[keyIndex - 1].endLine === inDeclaration[keyIndex].startLine) keyIndex--;
    const spec = specs.find((candidate) => candidate.name === inDeclaration[keyIndex].image);
    if (!spec) return [];
    return valueCompletions(spec, names);
  }

  if (keyword === "grad" && previousKind !== "Equals" && !inDeclaration.some((token) => token.tokenType.name === "Equals")) {
    const targets: SymbolKind[] = previousKind === "Slash" ? ["param", "score"] : ["loss"];
    return names(targets).map((item) => ({ ...item, label: `d${item.label}` }));
  }
  const equals = inDeclaration.findIndex((token) => token.tokenType.name === "Equals");
  if (keyword === "data" && equals >= 0) return dataSources.map(callSnippet);
  if (keyword === "optimizer" && equals >= 0) return optimizerRules.map((rule) => ({ label: rule.name, kind: "function", detail: rule.update, documentation: rule.doc }));
  if (keyword === "param") {
    if (equals >= 0) return initialisers.map((initialiser) => ({ label: initialiser.name, kind: "function", detail: initialiser.formula, documentation: initialiser.doc }));
    if (innermost?.tokenType.name === "LBracket") return [...names(["hyper"]), { label: "C", kind: "variable", detail: "number of classes" }, { label: "D", kind: "variable", detail: "number of features" }];
  }
  if (keyword === "grad" && equals >= 0) {
    const grads = gradItems(analysis, inDeclaration[0].startOffset);
    // Half-typed `dL/dz`: the word being typed is the part after the slash, so only that part is inserted.
    const numerator = inDeclaration[inDeclaration.length - 2];
    const typingGrad = previousKind === "Slash" && previous.startOffset + 1 === wordStart && numerator?.tokenType.name === "Identifier" && numerator.startOffset + numerator.image.length === previous.startOffset;
    if (typingGrad) return grads.filter((item) => item.label.startsWith(`${numerator.image}/`)).map((item) => ({ ...item, insertText: item.label.slice(numerator.image.length + 1) }));
    return [...expressionItems(), ...grads];
  }
  if (equals >= 0) return expressionItems();
  return [];
}

/** In a grad's expression, the other grads, usable by their dL/ds as a backward pass is written. */
function gradItems(analysis: Analysis, declarationStart: number): CompletionEntry[] {
  const { model } = analysis;
  return [...model.grads.values()]
    .filter((grad) => grad.declaration.span.start !== declarationStart)
    .map((grad) => {
      const gradOf = model.facts.get(grad.declaration)?.gradOf;
      return { label: grad.name, kind: "function", detail: gradOf ? `grad of ${gradOf.loss.name} with respect to ${gradOf.wrt.name}` : "grad" };
    });
}

function valueCompletions(spec: SettingSpec, names: (kinds: SymbolKind[]) => CompletionEntry[]): CompletionEntry[] {
  const kind = spec.value;
  switch (kind.kind) {
    case "ref":
      return names(kind.to);
    case "split":
      return names(["data"]).flatMap((item) => ["train", "val", "test"].map((split) => ({ label: `${item.label}.${split}`, kind: "module" as const, detail: "split" })));
    case "strategy":
      return [...names(["optimizer"]), ...strategies.map(callSnippet)];
    case "schedule":
      return schedules.map(callSnippet);
    case "choice":
      return kind.options.map((option) => ({ label: option, kind: "value" }));
    default:
      return [];
  }
}

/** What a search may vary besides its own settings: the file's hypers and the number settings of the optimizer its `by` names. */
function searchableKeys(analysis: Analysis, declaration: ast.Declaration): CompletionEntry[] {
  const by = "block" in declaration ? declaration.block?.settings.find((setting) => setting.key.text === "by")?.value : undefined;
  const optimizer = by?.kind === "name" ? analysis.model.symbols.get(by.name)?.declaration : undefined;
  const rule = optimizer?.kind === "optimizer" && optimizer.rule.kind === "name" ? optimizerRulesByName.get(optimizer.rule.name) : undefined;
  const hypers = [...analysis.model.symbols.values()].filter((symbol) => symbol.kind === "hyper").map((symbol): CompletionEntry => ({ label: symbol.name, kind: "property", detail: "hyper to search", documentation: searchedSettingDoc }));
  const settings = (rule?.settings ?? []).filter((spec) => spec.value.kind === "number").map((spec): CompletionEntry => ({ label: spec.name, kind: "property", detail: `${optimizer?.name.text}'s setting to search`, documentation: `${spec.doc} ${searchedSettingDoc}` }));
  return [...hypers, ...settings];
}
