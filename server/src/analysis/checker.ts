// Semantic analysis: names and scopes, static shapes with a symbolic batch
// dimension, settings against their schemas, grads against their targets,
// and curvature. Produces the checked model and findings; never throws.
import type * as ast from "../syntax/ast";
import { builtinFunctionsByName, implicitNamesByName, initialisersByName } from "../language/builtins";
import {
  dataSettings,
  dataSourcesByName,
  experimentSettings,
  optimizerRulesByName,
  schedulesByName,
  strategiesByName,
  type CallSpec,
  type SettingSpec,
  type ValueKind,
} from "../language/settings";
import { forEachSubexpression } from "../syntax/walk";
import { CurvatureAnalysis, type Curvature } from "./curvature";
import { constDim, dimText, dimValue, isOne, resolve, rigidDim, shapeText, unify, varDim, type Dim, type Shape } from "./dims";
import type { Finding, Fix } from "./diagnostic";
import type { CheckedModel, CurvatureFact, DataFactsProvider, DeclarationFacts, Reference, SymbolInfo, SymbolKind } from "./model";
import { closest, withArticle } from "./suggest";

interface Typed {
  shape: Shape;
  /** Integer class labels (y), usable for picking and onehot. */
  labels?: boolean;
}

/** The most entries a param, or a value computed from it, may have unless told otherwise: 100 million float32s take 400 MB. */
export const defaultMaxTensorEntries = 100_000_000;

const mainKinds = new Set<SymbolKind>(["data", "hyper", "param", "score", "loss", "optimizer"]);
const splits = ["train", "val", "test"];

/** Declarations defined by one another in one chain; deeper is an error, not a stack overflow. */
const maxReferenceDepth = 200;

export function check(document: ast.Document, dataFacts?: DataFactsProvider, maxTensorEntries = defaultMaxTensorEntries): { model: CheckedModel; findings: Finding[] } {
  return new Checker(document, dataFacts, maxTensorEntries).run();
}

class Checker {
  private readonly findings: Finding[] = [];
  private readonly model: CheckedModel;
  private readonly shapeMemo = new Map<ast.Declaration, Typed | undefined>();
  private readonly visiting = new Set<ast.Declaration>();
  private readonly hyperValues = new Map<ast.Declaration, number | undefined>();
  private cyclesMet = 0;
  private readonly dependencyMemo = new Map<ast.Declaration, Set<string>>();
  private readonly reportedCycles = new Set<ast.Declaration>();

  constructor(
    document: ast.Document,
    private readonly dataFacts: DataFactsProvider | undefined,
    private readonly maxTensorEntries: number,
  ) {
    this.model = {
      document,
      symbols: new Map(),
      experiments: new Map(),
      grads: new Map(),
      references: [],
      facts: new Map(),
      shapes: new Map(),
      dims: { D: varDim("D"), C: varDim("C"), N: rigidDim("N") },
    };
  }

  run(): { model: CheckedModel; findings: Finding[] } {
    this.declareAll();
    this.bindDataDims();
    for (const declaration of this.model.document.declarations) this.checkDeclaration(declaration);
    this.checkCurvature();
    this.checkUnused();
    // Hypers are folded wherever they are used, so their inner names can be recorded more than once.
    const seen = new Set<string>();
    this.model.references = this.model.references.filter((reference) => {
      const key = `${reference.span.start}:${reference.span.end}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    return { model: this.model, findings: this.findings };
  }

  // ---- findings ------------------------------------------------------------

  private report(severity: Finding["severity"], code: string, span: ast.Span, message: string, extra: Pick<Finding, "unnecessary" | "fixes"> = {}): void {
    this.findings.push({ severity, code, span, message, ...extra });
  }

  private error(code: string, span: ast.Span, message: string, fixes?: Fix[]): void {
    this.report("error", code, span, message, fixes ? { fixes } : {});
  }

  /** An unknown word: the message says what was meant, and the fix writes it. */
  private unknownWord(code: string, span: ast.Span, message: string, word: string, candidates: Iterable<string>, after = ""): void {
    const suggestion = closest(word, candidates);
    const hint = suggestion ? `; did you mean '${suggestion}'?` : "";
    this.error(code, span, `${message}${hint}${after}`, suggestion ? [{ title: `Change to '${suggestion}'`, edits: [{ span, newText: suggestion }] }] : undefined);
  }

  // ---- names -----------------------------------------------------------------

  private declareAll(): void {
    for (const declaration of this.model.document.declarations) {
      const name = declaration.name.text;
      if (!name) continue;
      const symbol: SymbolInfo = { name, kind: declaration.kind, declaration };
      const table = declaration.kind === "grad" ? this.model.grads : mainKinds.has(declaration.kind) ? this.model.symbols : this.model.experiments;
      const earlier = table.get(name);
      if (earlier) {
        this.error("duplicate-name", declaration.name.span, `'${name}' is already declared (${earlier.kind} ${name} on an earlier line)`);
        continue;
      }
      if (declaration.kind !== "grad" && implicitNamesByName.has(name)) {
        this.error("reserved-name", declaration.name.span, `'${name}' is a built-in name (${implicitNamesByName.get(name)?.doc}) and cannot be declared`);
        continue;
      }
      if (name === "T" && declaration.kind !== "grad") {
        this.error("reserved-name", declaration.name.span, "'T' is reserved: W^T means the transpose of W");
        continue;
      }
      if (builtinFunctionsByName.has(name) || initialisersByName.has(name)) {
        this.error("reserved-name", declaration.name.span, `'${name}' is a built-in function and cannot be declared`);
        continue;
      }
      table.set(name, symbol);
      this.model.facts.set(declaration, {});
    }
  }

  private facts(declaration: ast.Declaration): DeclarationFacts {
    let facts = this.model.facts.get(declaration);
    if (!facts) {
      facts = {};
      this.model.facts.set(declaration, facts);
    }
    return facts;
  }

  private reference(name: string, span: ast.Span, symbol: SymbolInfo): void {
    this.model.references.push({ name, span, symbol } satisfies Reference);
  }

  private knownNames(): string[] {
    return [...this.model.symbols.keys(), ...implicitNamesByName.keys(), ...builtinFunctionsByName.keys()];
  }

  // ---- data dimensions ---------------------------------------------------------

  /** D and C come from the data sets; all of them must agree. */
  private bindDataDims(): void {
    const seen: { D?: { value: number; name: string }; C?: { value: number; name: string } } = {};
    for (const symbol of this.model.symbols.values()) {
      const declaration = symbol.declaration;
      if (declaration.kind !== "data") continue;
      const facts = this.staticDataFacts(declaration) ?? this.dataFacts?.(declaration);
      if (!facts) continue;
      const bias = declaration.block?.settings.some((setting) => setting.key.text === "bias_trick") ? 1 : 0;
      const dims: Array<["D" | "C", number | undefined]> = [
        ["D", facts.features === undefined ? undefined : facts.features + bias],
        ["C", facts.classes],
      ];
      for (const [dim, value] of dims) {
        if (value === undefined) continue;
        const earlier = seen[dim];
        if (earlier && earlier.value !== value) {
          const what = dim === "D" ? "features" : "classes";
          this.error("data-dims", declaration.name.span, `data sets disagree on ${what}: ${earlier.name} has ${earlier.value}, ${symbol.name} has ${value}; X and y can stand for only one of them`);
          continue;
        }
        seen[dim] = { value, name: symbol.name };
        unify(this.model.dims[dim], constDim(value));
      }
    }
  }

  /** What the generators and fixed formats say about their shape, without reading anything. */
  private staticDataFacts(declaration: Extract<ast.Declaration, { kind: "data" }>): { features?: number; classes?: number } | undefined {
    const source = declaration.source;
    if (source.kind !== "call") return undefined;
    const named = (name: string, fallback: number): number => {
      const argument = source.args.find((candidate) => candidate.name?.text === name);
      const value = argument ? this.constantValue(argument.value) : fallback;
      return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
    };
    switch (source.callee.text) {
      case "toy":
        return { features: 1, classes: 3 };
      case "spiral":
        return { features: 2, classes: named("classes", 3) };
      case "blobs":
        return { features: named("dims", 2), classes: named("classes", 3) };
      case "cifar10":
        return { features: 3072, classes: 10 };
      case "inline": {
        const rows = source.args.find((argument) => argument.name?.text === "X")?.value;
        const labels = source.args.find((argument) => argument.name?.text === "y")?.value;
        const first = rows?.kind === "list" ? rows.items[0] : undefined;
        const features = first?.kind === "list" ? first.items.length : first ? 1 : undefined;
        const classValues = labels?.kind === "list" ? labels.items.map((item) => this.constantValue(item)) : [];
        const valid = classValues.length > 0 && classValues.every((value) => value !== undefined && Number.isInteger(value) && value >= 0);
        return { features, classes: valid ? Math.max(...(classValues as number[])) + 1 : undefined };
      }
      default:
        return undefined;
    }
  }

  // ---- declarations --------------------------------------------------------------

  private checkDeclaration(declaration: ast.Declaration): void {
    switch (declaration.kind) {
      case "data":
        this.checkData(declaration);
        return;
      case "hyper": {
        const value = this.constantValue(declaration.value, true);
        if (value !== undefined) this.facts(declaration).value = value;
        return;
      }
      case "param":
        this.checkParam(declaration);
        return;
      case "score":
      case "loss": {
        const typed = this.typeOfDeclaration(declaration);
        if (declaration.kind === "loss" && typed && typed.shape.length > 0) {
          const value = declaration.value;
          const wrap = (fn: string): Fix => ({ title: `Reduce with ${fn}(...)`, edits: [{ span: { start: value.span.start, end: value.span.start }, newText: `${fn}(` }, { span: { start: value.span.end, end: value.span.end }, newText: ")" }] });
          this.error("loss-not-scalar", value.span, `a loss must be a number, but ${declaration.name.text} has shape ${shapeText(typed.shape)}: reduce it with sum(...) or mean(...)`, [wrap("mean"), wrap("sum")]);
        }
        return;
      }
      case "grad":
        this.checkGrad(declaration);
        return;
      case "optimizer":
        this.checkOptimizer(declaration);
        return;
      default:
        this.checkExperiment(declaration);
    }
  }

  private checkData(declaration: Extract<ast.Declaration, { kind: "data" }>): void {
    const source = declaration.source;
    const sourceNames = [...dataSourcesByName.keys()];
    const spec = source.kind === "call" ? dataSourcesByName.get(source.callee.text) : undefined;
    if (source.kind === "call" && spec) this.checkCall(source, spec, "data source");
    else if (source.kind === "call") this.unknownWord("unknown-source", source.callee.span, `unknown data source '${source.callee.text}'`, source.callee.text, sourceNames, ` (one of ${sourceNames.join(", ")})`);
    else if (source.kind !== "missing") this.error("unknown-source", source.span, `a data set comes from a source such as idx("folder") or toy(); one of ${sourceNames.join(", ")}`);
    const given = this.checkSettings(declaration.block, dataSettings, `data ${declaration.name.text}`, declaration.name.span);
    if (source.kind === "call" && spec) this.checkSplitFiles(given, spec);
  }

  /** A split given by file needs a source that reads files, and as many names as that source reads per split. */
  private checkSplitFiles(given: Map<string, ast.Setting>, source: CallSpec): void {
    for (const split of ["train", "val", "test"]) {
      const value = given.get(split)?.value;
      if (value?.kind !== "string" && value?.kind !== "list") continue;
      const files = source.splitFiles;
      if (!files) {
        this.error("bad-value", value.span, `'${split}' must be a number of examples here: ${source.name}() reads no files`);
        continue;
      }
      const example = `${split} ${files.example.replaceAll("{split}", split)}`;
      if (files.count === 2 && (value.kind !== "list" || value.items.length !== 2)) {
        this.error("bad-value", value.span, `'${split}' names two files for ${source.name}, the inputs and the labels: ${example}`);
      } else if (files.count === 1 && value.kind === "list") {
        this.error("bad-value", value.span, `'${split}' names one file for ${source.name}: ${example}`);
      }
    }
  }

  private checkParam(declaration: Extract<ast.Declaration, { kind: "param" }>): void {
    const shapeExpr = declaration.shape;
    let shape: Shape | undefined;
    if (shapeExpr.kind === "list") {
      shape = [];
      for (const item of shapeExpr.items) {
        const dim = this.shapeDim(item);
        if (!dim) {
          shape = undefined;
          break;
        }
        shape.push(dim);
      }
      if (shape && shape.length > 2) {
        this.error("shape-rank", shapeExpr.span, `a param has at most 2 dimensions, but this shape has ${shape.length}`);
        shape = undefined;
      }
    } else if (shapeExpr.kind !== "missing") {
      this.error("param-shape", shapeExpr.span, "a param's shape is a list of sizes, such as [10, 785] or [C, D]");
    }
    // Refused here, before any executor allocates it.
    const entries = shape?.reduce((product, dim) => product * (dimValue(dim) ?? 1), 1) ?? 0;
    if (shape && entries > this.maxTensorEntries) {
      this.error("too-large", shapeExpr.span, `${declaration.name.text} would have ${entries.toLocaleString("en-US")} entries, more than the limit of ${this.maxTensorEntries.toLocaleString("en-US")}`);
      shape = undefined;
    }
    if (shape) this.facts(declaration).shape = shape;
    if (declaration.init) this.checkInitialiser(declaration.init);
  }

  private shapeDim(expr: ast.Expr): Dim | undefined {
    if (expr.kind === "name" && (expr.name === "D" || expr.name === "C")) return this.model.dims[expr.name];
    if (expr.kind === "name" && expr.name === "N") {
      this.error("param-shape", expr.span, "a param cannot depend on the batch size N");
      return undefined;
    }
    const value = this.constantValue(expr, true);
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < 1) {
      this.error("param-shape", expr.span, `a size must be a positive whole number, not ${value}`);
      return undefined;
    }
    return constDim(value);
  }

  /** randn, zeros, xavier, ... optionally scaled by a number: `randn * 0.0001`. */
  private checkInitialiser(expr: ast.Expr): void {
    const names = [...initialisersByName.keys()];
    const visit = (node: ast.Expr): boolean => {
      if (node.kind === "name" && initialisersByName.has(node.name)) return true;
      if (node.kind === "call" && initialisersByName.has(node.callee.text) && node.args.length === 0) return true;
      if (node.kind === "binary" && (node.op === "*" || node.op === "/")) {
        // c * init, init * c and init / c, with c a number.
        if (node.op === "*" && this.constantValue(node.left) !== undefined) return visit(node.right);
        return visit(node.left) && this.constantValue(node.right, true) !== undefined;
      }
      if (node.kind === "number") return true;
      if (node.kind === "name") {
        this.unknownWord("unknown-initialiser", node.span, `unknown initialiser '${node.name}'`, node.name, names, ` (one of ${names.join(", ")})`);
        return false;
      }
      if (node.kind !== "missing") this.error("bad-initialiser", node.span, `an initialiser is one of ${names.join(", ")}, optionally scaled: randn * 0.0001`);
      return false;
    };
    visit(expr);
  }

  private checkGrad(declaration: Extract<ast.Declaration, { kind: "grad" }>): void {
    const resolveTarget = (expr: ast.Expr, kind: "loss" | "param"): SymbolInfo | undefined => {
      if (expr.kind === "missing") return undefined;
      if (expr.kind !== "name" || !expr.name.startsWith("d") || expr.name.length < 2) {
        this.error("grad-target", expr.span, "a grad is written d<loss>/d<param>, such as dL/dW");
        return undefined;
      }
      const name = expr.name.slice(1);
      const span = { start: expr.span.start + 1, end: expr.span.end };
      const symbol = this.model.symbols.get(name);
      if (!symbol) {
        this.unknownWord("unknown-name", span, `unknown ${kind} '${name}'`, name, this.namesOfKind(this.model.symbols, kind));
        return undefined;
      }
      this.reference(name, span, symbol);
      if (symbol.kind !== kind) {
        this.error("grad-target", span, `'${name}' is ${withArticle(symbol.kind)}, not ${withArticle(kind)}: a grad is written d<loss>/d<param>`);
        return undefined;
      }
      return symbol;
    };
    const loss = resolveTarget(declaration.numerator, "loss");
    const param = resolveTarget(declaration.denominator, "param");
    const typed = this.typeOf(declaration.value);
    if (loss && param) {
      this.facts(declaration).gradOf = { loss, param };
      const paramShape = this.facts(param.declaration).shape;
      if (typed) this.facts(declaration).shape = typed.shape;
      if (typed && paramShape && !this.sameShape(typed.shape, paramShape)) {
        const transposed = typed.shape.length === 2 && paramShape.length === 2 && this.sameShape([typed.shape[1], typed.shape[0]], paramShape);
        const value = declaration.value;
        const fixes: Fix[] | undefined = transposed
          ? [{ title: "Transpose the gradient", edits: [{ span: { start: value.span.start, end: value.span.start }, newText: "(" }, { span: { start: value.span.end, end: value.span.end }, newText: ")^T" }] }]
          : undefined;
        this.error("grad-shape", value.span, `the gradient ${declaration.name.text} has shape ${shapeText(typed.shape)} but ${param.name} has shape ${shapeText(paramShape)}${transposed ? ": transpose it with ^T" : ""}`, fixes);
      }
    }
  }

  /** Equal shapes, ignoring axes of size 1 (so sum(d, axis=0) : [1, C] is a gradient for b : [C]). */
  private sameShape(left: Shape, right: Shape): boolean {
    const a = left.filter((dim) => !isOne(dim));
    const b = right.filter((dim) => !isOne(dim));
    if (a.length !== b.length) return false;
    // Equal known sizes or the same symbol match; an unknown size is bound to its counterpart.
    return a.every((dim, i) => {
      const left = resolve(dim);
      const right = resolve(b[i]);
      if (left === right) return true;
      if (left.kind === "const" && right.kind === "const") return left.value === right.value;
      if (left.kind === "var" || right.kind === "var") return unify(left, right);
      return false;
    });
  }

  private checkOptimizer(declaration: Extract<ast.Declaration, { kind: "optimizer" }>): void {
    const rule = declaration.rule;
    const ruleNames = [...optimizerRulesByName.keys()];
    const ruleName = rule.kind === "name" ? rule.name : rule.kind === "call" ? rule.callee.text : undefined;
    const ruleSpan = rule.kind === "call" ? rule.callee.span : rule.span;
    const spec = ruleName ? optimizerRulesByName.get(ruleName) : undefined;
    if (rule.kind === "missing") return;
    if (!spec) {
      const shown = ruleName ?? "this";
      this.unknownWord("unknown-optimizer", ruleSpan, `unknown optimizer rule '${shown}'`, ruleName ?? "", ruleName ? ruleNames : [], ` (one of ${ruleNames.join(", ")})`);
      this.checkSettings(declaration.block, [], `optimizer ${declaration.name.text}`, declaration.name.span, false);
      return;
    }
    if (rule.kind === "call" && rule.args.length > 0) this.error("optimizer-args", rule.span, `write ${spec.name}'s settings in braces: optimizer ${declaration.name.text} = ${spec.name} { lr 1e-3 }`);
    this.checkSettings(declaration.block, spec.settings, `${spec.name}`, declaration.name.span);
    if (!declaration.block) this.error("missing-setting", declaration.name.span, `optimizer ${declaration.name.text} needs a step size: ${spec.name} { lr 1e-3 }`);
  }

  private checkExperiment(declaration: Extract<ast.Declaration, { kind: ast.ExperimentKind }>): void {
    const specs = experimentSettings[declaration.kind];
    const given = this.checkSettings(declaration.block, specs, `${declaration.kind} ${declaration.name.text}`, declaration.name.span);
    if (declaration.kind === "run") {
      const by = given.get("by")?.value;
      const usesOptimizer = by?.kind === "name" && !strategiesByName.has(by.name);
      if (usesOptimizer && !given.has("steps") && !given.has("epochs")) {
        const end = declaration.block.span.end - 1;
        const insert = (text: string): Fix => ({ title: `Add '${text}'`, edits: [{ span: { start: end, end }, newText: `; ${text} ` }] });
        this.error("missing-setting", declaration.name.span, `run ${declaration.name.text} needs a length: add 'steps 1000' or 'epochs 1'`, [insert("steps 1000"), insert("epochs 1")]);
      }
      if (given.has("steps") && given.has("epochs")) {
        this.error("conflicting-settings", given.get("epochs")?.key.span ?? declaration.name.span, "give either steps or epochs, not both");
      }
    }
  }

  // ---- settings --------------------------------------------------------------------

  /** Validates a block against its schema; returns the settings by key. */
  private checkSettings(block: ast.Block | undefined, specs: SettingSpec[], owner: string, ownerSpan: ast.Span, reportMissing = true): Map<string, ast.Setting> {
    const given = new Map<string, ast.Setting>();
    const byName = new Map(specs.map((spec) => [spec.name, spec]));
    for (const setting of block?.settings ?? []) {
      const key = setting.key.text;
      if (!key) continue;
      const spec = byName.get(key);
      if (!spec) {
        if (specs.length > 0) this.unknownWord("unknown-setting", setting.key.span, `unknown setting '${key}' for ${owner}`, key, byName.keys());
        continue;
      }
      if (given.has(key)) {
        this.error("duplicate-setting", setting.key.span, `'${key}' is already set above`);
        continue;
      }
      given.set(key, setting);
      this.checkValue(setting.value, spec, setting.key.span);
    }
    if (reportMissing && block) {
      const missing = specs.filter((spec) => spec.required && !given.has(spec.name));
      for (const spec of missing) {
        this.error("missing-setting", ownerSpan, `${owner} needs '${spec.name}': ${spec.doc.charAt(0).toLowerCase()}${spec.doc.slice(1)}`);
      }
    }
    return given;
  }

  private checkValue(value: ast.Expr | undefined, spec: SettingSpec, keySpan: ast.Span): void {
    const kind = spec.value;
    if (kind.kind === "flag") {
      if (value) this.error("bad-value", value.span, `'${spec.name}' takes no value`, [{ title: `Remove the value of '${spec.name}'`, edits: [{ span: { start: keySpan.end, end: value.span.end }, newText: "" }] }]);
      return;
    }
    if (!value) {
      this.error("bad-value", keySpan, `'${spec.name}' needs a value: ${describeKind(kind)}`);
      return;
    }
    if (value.kind === "missing") return;
    switch (kind.kind) {
      case "number":
        this.checkNumber(value, kind, spec.name);
        return;
      case "string":
        if (value.kind !== "string") this.error("bad-value", value.span, `'${spec.name}' needs a string in double quotes`);
        return;
      case "countOrFile":
        // Which sources take a file, and how many names, is the data declaration's check.
        if (value.kind === "string" || (value.kind === "list" && value.items.every((item) => item.kind === "string"))) return;
        this.checkNumber(value, { kind: "number", min: 0, integer: true }, spec.name);
        return;
      case "ref":
        this.checkRef(value, kind.to);
        return;
      case "split":
        this.checkSplit(value);
        return;
      case "strategy":
        this.checkStrategy(value);
        return;
      case "schedule":
        this.checkScheduleValue(value);
        return;
      case "range":
        this.checkRange(value, kind.positive ?? false, spec.name);
        return;
      case "choice":
        if (value.kind !== "name" || !kind.options.includes(value.name)) {
          const written = value.kind === "name" ? value.name : "";
          this.unknownWord("bad-value", value.span, `${written ? `'${written}'` : "this"} is not a choice for '${spec.name}'`, written, written ? kind.options : [], ` (one of ${kind.options.join(", ")})`);
        }
        return;
    }
  }

  private checkNumber(value: ast.Expr, kind: Extract<ValueKind, { kind: "number" }>, name: string): void {
    const number = this.constantValue(value, true);
    if (number === undefined) return;
    if (kind.integer && !Number.isInteger(number)) this.error("bad-value", value.span, `'${name}' must be a whole number, not ${number}`);
    else if (kind.min !== undefined && (kind.exclusiveMin ? number <= kind.min : number < kind.min)) this.error("bad-value", value.span, `'${name}' must be ${kind.exclusiveMin ? "greater than" : "at least"} ${kind.min}, not ${number}`);
    else if (kind.max !== undefined && number > kind.max) this.error("bad-value", value.span, `'${name}' must be at most ${kind.max}, not ${number}`);
  }

  private checkRef(value: ast.Expr, to: "loss" | "param" | "optimizer" | "run"): void {
    if (value.kind !== "name") {
      this.error("bad-value", value.span, `expected the name of ${withArticle(to)}`);
      return;
    }
    const table = to === "run" ? this.model.experiments : this.model.symbols;
    const symbol = table.get(value.name);
    if (!symbol) {
      this.unknownWord("unknown-name", value.span, `unknown ${to} '${value.name}'`, value.name, this.namesOfKind(table, to));
      return;
    }
    this.reference(value.name, value.span, symbol);
    if (symbol.kind !== to) this.error("bad-value", value.span, `'${value.name}' is ${withArticle(symbol.kind)}, not ${withArticle(to)}`);
  }

  private checkSplit(value: ast.Expr): void {
    if (value.kind !== "member" || value.target.kind !== "name") {
      this.error("bad-value", value.span, "expected a data split such as fmnist.train");
      return;
    }
    const dataName = value.target.name;
    const symbol = this.model.symbols.get(dataName);
    if (!symbol) {
      this.unknownWord("unknown-name", value.target.span, `unknown data set '${dataName}'`, dataName, this.namesOfKind(this.model.symbols, "data"));
      return;
    }
    this.reference(dataName, value.target.span, symbol);
    if (symbol.kind !== "data") {
      this.error("bad-value", value.target.span, `'${dataName}' is ${withArticle(symbol.kind)}, not a data set`);
      return;
    }
    if (!splits.includes(value.member.text)) this.unknownWord("bad-value", value.member.span, `unknown split '${value.member.text}'`, value.member.text, splits, ` (one of ${splits.join(", ")})`);
  }

  private checkStrategy(value: ast.Expr): void {
    if (value.kind === "call") {
      const spec = strategiesByName.get(value.callee.text);
      if (spec) this.checkCall(value, spec, "strategy");
      else this.unknownWord("unknown-strategy", value.callee.span, `unknown strategy '${value.callee.text}'`, value.callee.text, strategiesByName.keys(), ": use an optimizer's name, random_search(...) or random_local_search(...)");
      return;
    }
    // A bare strategy name uses its defaults.
    if (value.kind === "name" && strategiesByName.has(value.name)) return;
    this.checkRef(value, "optimizer");
  }

  private checkScheduleValue(value: ast.Expr): void {
    // A bare name is the call without arguments: `schedule cosine`.
    const call: Extract<ast.Expr, { kind: "call" }> | undefined =
      value.kind === "call" ? value : value.kind === "name" ? { kind: "call", callee: { text: value.name, span: value.span }, args: [], span: value.span } : undefined;
    if (!call) {
      this.error("bad-value", value.span, `expected a schedule such as step(every=500, gamma=0.5): one of ${[...schedulesByName.keys()].join(", ")}`);
      return;
    }
    const spec = schedulesByName.get(call.callee.text);
    if (!spec) {
      this.unknownWord("unknown-schedule", call.callee.span, `unknown schedule '${call.callee.text}'`, call.callee.text, schedulesByName.keys(), ` (one of ${[...schedulesByName.keys()].join(", ")})`);
      return;
    }
    this.checkCall(call, spec, "schedule");
  }

  private checkRange(value: ast.Expr, positive: boolean, name: string): void {
    if (value.kind !== "range") {
      this.error("bad-value", value.span, `'${name}' needs a range such as 1e-10 .. 1e-1`);
      return;
    }
    const from = this.constantValue(value.from, true);
    const to = this.constantValue(value.to, true);
    if (from === undefined || to === undefined) return;
    if (positive && (from <= 0 || to <= 0)) this.error("bad-value", value.span, `'${name}' must be positive at both ends (it is spaced on a log scale)`);
    else if (from >= to) this.error("bad-value", value.span, `the range must go up: ${from} is not below ${to}`);
  }

  private checkCall(call: Extract<ast.Expr, { kind: "call" }>, spec: CallSpec, what: string): void {
    const positional = call.args.filter((argument) => !argument.name);
    if (positional.length > spec.positional.length) {
      const extra = positional[spec.positional.length];
      this.error("bad-arguments", extra.span, spec.positional.length === 0 ? `${spec.name} takes only named arguments: ${spec.named.map((named) => `${named.name}=…`).join(", ")}` : `${spec.name} takes ${spec.positional.length} positional argument${spec.positional.length === 1 ? "" : "s"}`);
    }
    positional.slice(0, spec.positional.length).forEach((argument, i) => this.checkValue(argument.value, spec.positional[i], argument.span));
    if (positional.length < spec.positional.length) {
      const missing = spec.positional[positional.length];
      this.error("bad-arguments", call.span, `${what} ${spec.name} needs its ${missing.name}: ${missing.doc.charAt(0).toLowerCase()}${missing.doc.slice(1)}`);
    }
    const seen = new Set<string>();
    for (const argument of call.args) {
      if (!argument.name) continue;
      const named = spec.named.find((candidate) => candidate.name === argument.name?.text);
      if (!named) {
        const names = spec.named.map((candidate) => candidate.name);
        this.unknownWord("unknown-argument", argument.name.span, `${spec.name} has no argument '${argument.name.text}'`, argument.name.text, names, names.length ? ` (it takes ${names.join(", ")})` : "");
        continue;
      }
      if (seen.has(named.name)) this.error("duplicate-setting", argument.name.span, `'${named.name}' is given twice`);
      seen.add(named.name);
      // inline(X=[[...]], y=[...]) takes literal lists.
      if (spec.name === "inline") this.checkInlineList(argument.value, named.name);
      else this.checkValue(argument.value, named, argument.name.span);
    }
    for (const named of spec.named) {
      if (named.required && !seen.has(named.name)) this.error("bad-arguments", call.span, `${spec.name} needs ${named.name}=…: ${named.doc.charAt(0).toLowerCase()}${named.doc.slice(1)}`);
    }
  }

  private checkInlineList(value: ast.Expr, name: string): void {
    if (value.kind !== "list") {
      this.error("bad-value", value.span, `${name} is a list in brackets`);
      return;
    }
    if (name === "y") {
      for (const item of value.items) {
        const label = this.constantValue(item, true);
        if (label !== undefined && (!Number.isInteger(label) || label < 0)) this.error("bad-value", item.span, `a label is a whole number 0, 1, 2, …, not ${label}`);
      }
      return;
    }
    const widths = value.items.map((row) => (row.kind === "list" ? row.items.length : 1));
    value.items.forEach((row, i) => {
      if (widths[i] !== widths[0]) this.error("bad-value", row.span, `every row needs ${widths[0]} value${widths[0] === 1 ? "" : "s"}, like the first; this one has ${widths[i]}`);
      for (const item of row.kind === "list" ? row.items : [row]) this.constantValue(item, true);
    });
  }

  // ---- constants -------------------------------------------------------------------------

  /** Folds numbers, hypers and arithmetic; reports what cannot be folded when `report` is set. */
  constantValue(expr: ast.Expr, report = false): number | undefined {
    const fail = (message: string): undefined => {
      if (report) this.error("not-constant", expr.span, message);
      return undefined;
    };
    switch (expr.kind) {
      case "number":
        return expr.value;
      case "negate": {
        const inner = this.constantValue(expr.operand, report);
        return inner === undefined ? undefined : -inner;
      }
      case "binary": {
        const left = this.constantValue(expr.left, report);
        const right = this.constantValue(expr.right, report);
        if (left === undefined || right === undefined) return undefined;
        switch (expr.op) {
          case "+":
            return left + right;
          case "-":
            return left - right;
          case "*":
            return left * right;
          case "/":
            return right === 0 ? fail("division by zero") : left / right;
          case "^":
            return left ** right;
          default:
            return fail(`'${expr.op}' is not allowed in a number`);
        }
      }
      case "name": {
        const symbol = this.model.symbols.get(expr.name);
        if (symbol?.kind === "hyper") {
          this.reference(expr.name, expr.span, symbol);
          const declaration = symbol.declaration as Extract<ast.Declaration, { kind: "hyper" }>;
          if (this.visiting.has(declaration)) {
            this.cyclesMet++;
            if (!this.reportedCycles.has(declaration)) {
              this.reportedCycles.add(declaration);
              this.error("cycle", declaration.name.span, `${expr.name} is defined in terms of itself`);
            }
            return undefined;
          }
          // Remembered: `hyper b = a + a`, `hyper c = b + b`, … would otherwise fold in exponential time.
          if (this.hyperValues.has(declaration)) return this.hyperValues.get(declaration);
          if (this.tooManyReferences(expr.span)) return undefined;
          const cyclesBefore = this.cyclesMet;
          this.visiting.add(declaration);
          const value = this.constantValue(declaration.value);
          this.visiting.delete(declaration);
          // A value that met a cycle is folded again from its other end, so the cycle is reported on each of its hypers.
          if (this.cyclesMet === cyclesBefore) this.hyperValues.set(declaration, value);
          return value;
        }
        if (expr.name === "N") return fail("N is the number of examples being evaluated; it is not known until then, so it cannot be part of a number here");
        if (expr.name === "X" || expr.name === "y") return fail(`${expr.name} stands for the examples; a number is needed here`);
        if (expr.name === "D" || expr.name === "C") {
          const value = dimValue(this.model.dims[expr.name]);
          return value ?? fail(`${expr.name} is not known until the data is read`);
        }
        if (!symbol) {
          if (report) this.unknownWord("not-constant", expr.span, `unknown name '${expr.name}'`, expr.name, this.hyperNames());
          return undefined;
        }
        this.reference(expr.name, expr.span, symbol);
        return fail(`'${expr.name}' is ${withArticle(symbol.kind)}; a number is needed here`);
      }
      case "missing":
        return undefined;
      default:
        return fail("a number is needed here");
    }
  }

  /**
   * Following names from declaration to declaration recurses; a chain of more
   * than maxReferenceDepth declarations, each defined by the next, is an
   * error where it goes too deep instead of a stack overflow.
   */
  private tooManyReferences(span: ast.Span): boolean {
    if (this.visiting.size < maxReferenceDepth) return false;
    this.error("too-deep", span, `defined through more than ${maxReferenceDepth} other declarations, each defined by the next: define some of them in terms of values further up`);
    return true;
  }

  private hyperNames(): string[] {
    return this.namesOfKind(this.model.symbols, "hyper");
  }

  /** For suggestions only, so computed when a name is unknown. */
  private namesOfKind(table: Map<string, SymbolInfo>, kind: SymbolKind): string[] {
    return [...table.values()].filter((symbol) => symbol.kind === kind).map((symbol) => symbol.name);
  }

  // ---- shapes ------------------------------------------------------------------------------

  private typeOfDeclaration(declaration: ast.Declaration): Typed | undefined {
    if (this.shapeMemo.has(declaration)) return this.shapeMemo.get(declaration);
    if (this.visiting.has(declaration)) {
      this.error("cycle", declaration.name.span, `${declaration.name.text} is defined in terms of itself`);
      return undefined;
    }
    if (this.tooManyReferences(declaration.name.span)) return undefined;
    this.visiting.add(declaration);
    let typed: Typed | undefined;
    if (declaration.kind === "score" || declaration.kind === "loss") typed = this.typeOf(declaration.value);
    this.visiting.delete(declaration);
    this.shapeMemo.set(declaration, typed);
    if (typed) this.facts(declaration).shape = typed.shape;
    return typed;
  }

  private typeOf(expr: ast.Expr): Typed | undefined {
    const typed = this.inferType(expr);
    if (!typed || this.tooLarge(expr, typed.shape)) return undefined;
    this.model.shapes.set(expr, typed.shape);
    return typed;
  }

  /**
   * A value over the entry limit is refused before an executor allocates it:
   * `W^T @ W` of a [1, 100000] W would need 10^10 entries. The batch size N
   * counts as 1, so the limit is per example there. Names are checked where
   * they are declared (params here, data sets by the data layer's size cap).
   * The enclosing expressions are then of unknown shape and stay quiet.
   */
  private tooLarge(expr: ast.Expr, shape: Shape): boolean {
    if (expr.kind === "name") return false;
    let entries = 1;
    for (const dim of shape) entries *= dimValue(dim) ?? 1;
    if (entries <= this.maxTensorEntries) return false;
    const perExample = shape.some((dim) => resolve(dim).kind === "rigid") ? " per example" : "";
    this.error("too-large", expr.span, `this value would have ${entries.toLocaleString("en-US")} entries${perExample} (${shapeText(shape)}), more than the limit of ${this.maxTensorEntries.toLocaleString("en-US")}`);
    return true;
  }

  private inferType(expr: ast.Expr): Typed | undefined {
    switch (expr.kind) {
      case "number":
        return { shape: [] };
      case "missing":
        return undefined;
      case "string":
        // An unterminated string is already reported as such.
        if (expr.terminated) this.error("bad-expression", expr.span, "a string cannot be part of a calculation");
        return undefined;
      case "list":
        this.error("bad-expression", expr.span, "a list can only be a param's shape or inline data");
        return undefined;
      case "range":
        this.error("bad-expression", expr.span, "a range can only be a setting's value");
        return undefined;
      case "member":
        this.error("bad-expression", expr.span, "a data split such as fmnist.train can only be a setting's value");
        return undefined;
      case "name":
        return this.typeOfName(expr);
      case "negate":
        return this.typeOf(expr.operand);
      case "transpose": {
        const inner = this.typeOf(expr.operand);
        if (!inner) return undefined;
        return { shape: [...inner.shape].reverse() };
      }
      case "index":
        return this.typeOfIndex(expr);
      case "binary":
        return this.typeOfBinary(expr);
      case "call":
        return this.typeOfCall(expr);
    }
  }

  private typeOfName(expr: Extract<ast.Expr, { kind: "name" }>): Typed | undefined {
    const dims = this.model.dims;
    switch (expr.name) {
      case "X":
        return { shape: [dims.N, dims.D] };
      case "y":
        return { shape: [dims.N], labels: true };
      case "N":
      case "D":
      case "C":
        return { shape: [] };
    }
    const symbol = this.model.symbols.get(expr.name);
    if (!symbol) {
      if (builtinFunctionsByName.has(expr.name)) this.error("bad-expression", expr.span, `'${expr.name}' is a function: call it, as in ${builtinFunctionsByName.get(expr.name)?.signature}`);
      else if (initialisersByName.has(expr.name)) this.error("bad-expression", expr.span, `'${expr.name}' is an initialiser; it can only start a param: param W: [10, 785] = ${expr.name} * 0.0001`);
      else this.unknownWord("unknown-name", expr.span, `unknown name '${expr.name}'`, expr.name, this.knownNames());
      return undefined;
    }
    this.reference(expr.name, expr.span, symbol);
    switch (symbol.kind) {
      case "hyper":
        return { shape: [] };
      case "param": {
        const shape = this.facts(symbol.declaration).shape;
        return shape ? { shape } : undefined;
      }
      case "score":
      case "loss":
        return this.typeOfDeclaration(symbol.declaration);
      default:
        this.error("bad-expression", expr.span, `'${expr.name}' is ${symbol.kind === "optimizer" ? "an" : "a"} ${symbol.kind === "data" ? "data set" : symbol.kind} and cannot be part of a calculation`);
        return undefined;
    }
  }

  private typeOfIndex(expr: Extract<ast.Expr, { kind: "index" }>): Typed | undefined {
    const target = this.typeOf(expr.target);
    const indices = expr.indices.map((index) => this.typeOf(index));
    if (expr.indices.length !== 1 || !indices[0]?.labels) {
      if (indices.every((index) => index !== undefined)) this.error("bad-index", expr.span, "only s[y] is supported: it picks each row's entry at that row's label");
      return undefined;
    }
    if (!target) return undefined;
    if (target.shape.length !== 2) {
      this.error("bad-index", expr.span, `s[y] picks one entry per row of a matrix, but this has shape ${shapeText(target.shape)}`);
      return undefined;
    }
    if (!unify(target.shape[0], this.model.dims.N)) {
      this.error("bad-index", expr.span, `s[y] needs one row per example, but this has shape ${shapeText(target.shape)}`);
      return undefined;
    }
    if (!unify(target.shape[1], this.model.dims.C)) {
      this.error("bad-index", expr.span, `s[y] picks each row's score for its class, so it needs C = ${dimText(this.model.dims.C)} columns, but this has shape ${shapeText(target.shape)}`);
      return undefined;
    }
    // The picked column keeps its axis, so s - s[y] broadcasts as in the notes.
    return { shape: [this.model.dims.N, constDim(1)] };
  }

  private typeOfBinary(expr: Extract<ast.Expr, { kind: "binary" }>): Typed | undefined {
    const left = this.typeOf(expr.left);
    const right = this.typeOf(expr.right);
    if (!left || !right) return undefined;
    if (expr.op === "@") return this.matmul(left.shape, right.shape, expr.opSpan);
    if (expr.op === "^" && right.shape.length > 0) {
      this.error("bad-expression", expr.right.span, "an exponent must be a number (W^T transposes)");
      return undefined;
    }
    const shape = this.broadcast(left.shape, right.shape, expr.opSpan, expr.op);
    return shape ? { shape } : undefined;
  }

  private matmul(left: Shape, right: Shape, span: ast.Span): Typed | undefined {
    if (left.length === 0 || right.length === 0) {
      this.error("shape-mismatch", span, `@ multiplies matrices or vectors, but one side is a number (shapes ${shapeText(left)} and ${shapeText(right)}): use * to scale`);
      return undefined;
    }
    const inner = left[left.length - 1];
    const otherInner = right[0];
    if (!unify(inner, otherInner)) {
      this.error("shape-mismatch", span, `cannot multiply ${shapeText(left)} by ${shapeText(right)}: inner dimensions ${dimText(inner)} and ${dimText(otherInner)} differ`);
      return undefined;
    }
    const shape = [...left.slice(0, -1), ...right.slice(1)];
    return { shape };
  }

  /** Numpy broadcasting: align from the right; sizes must match or one of them be 1. */
  private broadcast(left: Shape, right: Shape, span: ast.Span, op: string): Shape | undefined {
    const length = Math.max(left.length, right.length);
    const result: Dim[] = [];
    for (let i = 0; i < length; i++) {
      const a = left[left.length - length + i];
      const b = right[right.length - length + i];
      if (!a || !b) {
        result.push((a ?? b) as Dim);
        continue;
      }
      if (isOne(a)) result.push(b);
      else if (isOne(b)) result.push(a);
      else if (unify(a, b)) result.push(a);
      else {
        this.error("shape-mismatch", span, `cannot apply '${op}' to ${shapeText(left)} and ${shapeText(right)}: dimensions ${dimText(a)} and ${dimText(b)} differ and neither is 1`);
        return undefined;
      }
    }
    return result;
  }

  private typeOfCall(expr: Extract<ast.Expr, { kind: "call" }>): Typed | undefined {
    const name = expr.callee.text;
    const builtin = builtinFunctionsByName.get(name);
    if (!builtin) {
      if (initialisersByName.has(name)) this.error("bad-expression", expr.callee.span, `'${name}' is an initialiser; it can only start a param`);
      else {
        const symbol = this.model.symbols.get(name);
        if (symbol) this.error("unknown-function", expr.callee.span, `'${name}' is ${withArticle(symbol.kind)}, not a function`);
        else this.unknownWord("unknown-function", expr.callee.span, `unknown function '${name}'`, name, builtinFunctionsByName.keys());
      }
      for (const argument of expr.args) this.typeOf(argument.value);
      return undefined;
    }
    const positional = expr.args.filter((argument) => !argument.name);
    let axis: number | undefined;
    for (const argument of expr.args) {
      if (!argument.name) continue;
      const allowed = builtin.parameters.filter((parameter) => parameter.named).map((parameter) => parameter.name);
      if (!allowed.includes(argument.name.text)) {
        this.unknownWord("unknown-argument", argument.name.span, `${name} has no argument '${argument.name.text}'`, argument.name.text, allowed, allowed.length ? ` (it takes ${allowed.join(", ")})` : "");
        continue;
      }
      const value = this.constantValue(argument.value, true);
      if (value !== undefined && value !== 0 && value !== 1) this.error("bad-value", argument.value.span, `axis is 0 (down the rows) or 1 (across each row), not ${value}`);
      else axis = value;
    }
    if (positional.length < builtin.minArgs || positional.length > (builtin.shape === "broadcast2" ? 2 : 1)) {
      this.error("bad-arguments", expr.span, `${name} takes ${builtin.shape === "broadcast2" ? "two arguments" : "one argument"}: ${builtin.signature}`);
      for (const argument of positional) this.typeOf(argument.value);
      return undefined;
    }
    const args = positional.map((argument) => this.typeOf(argument.value));
    if (args.some((argument) => argument === undefined)) return undefined;
    const [first, second] = args as Typed[];
    switch (builtin.shape) {
      case "elementwise":
        return { shape: first.shape };
      case "broadcast2": {
        const shape = this.broadcast(first.shape, second.shape, expr.callee.span, name);
        return shape ? { shape } : undefined;
      }
      case "reduce":
      case "reduceKeep":
      case "rowwise": {
        const chosen = axis ?? (builtin.shape === "reduce" ? undefined : 1);
        if (chosen === undefined) return { shape: [] };
        if (first.shape.length !== 2) {
          this.error("shape-mismatch", expr.span, `${name} along an axis needs a matrix, but its argument has shape ${shapeText(first.shape)}`);
          return undefined;
        }
        if (builtin.shape === "rowwise") return { shape: first.shape };
        return { shape: first.shape.map((dim, i) => (i === chosen ? constDim(1) : dim)) };
      }
      case "onehot":
        if (!first.labels) {
          this.error("bad-arguments", expr.span, "onehot takes the labels: onehot(y)");
          return undefined;
        }
        return { shape: [this.model.dims.N, this.model.dims.C] };
      case "initialiser":
        return undefined;
    }
  }

  // ---- curvature --------------------------------------------------------------------------

  private checkCurvature(): void {
    const params = [...this.model.symbols.values()].filter((symbol) => symbol.kind === "param").map((symbol) => symbol.name);
    const losses = [...this.model.symbols.values()].filter((symbol) => symbol.kind === "loss");
    // An objective is a loss that no other loss builds on.
    const usedByOtherLoss = new Set<string>();
    for (const loss of losses) {
      const value = (loss.declaration as Extract<ast.Declaration, { kind: "loss" }>).value;
      forEachSubexpression(value, (expr) => {
        if (expr.kind === "name" && this.model.symbols.get(expr.name)?.kind === "loss") usedByOtherLoss.add(expr.name);
      });
    }
    const lookup = (name: string) => this.model.symbols.get(name);
    const hyperValue = (declaration: ast.Declaration) => this.model.facts.get(declaration)?.value;
    for (const loss of losses) {
      const declaration = loss.declaration;
      if (!this.facts(declaration).shape) continue;
      const dependsOn = params.filter((param) => this.parametersOf(declaration).has(param));
      const facts: CurvatureFact[] = dependsOn.map((param) => {
        const judgement = new CurvatureAnalysis({ lookup, hyperValue, variables: new Set([param]) }).judgeDeclaration(declaration);
        return { wrt: param, curvature: judgement.curvature, reason: judgement.reason };
      });
      let joint: CurvatureFact | undefined;
      if (dependsOn.length > 1) {
        const judgement = new CurvatureAnalysis({ lookup, hyperValue, variables: new Set(dependsOn) }).judgeDeclaration(declaration);
        joint = { wrt: "all", curvature: judgement.curvature, reason: judgement.reason };
        facts.push(joint);
      }
      this.facts(declaration).curvature = facts;
      const objective = joint ?? facts[0];
      const isObjective = !usedByOtherLoss.has(loss.name);
      if (objective && isObjective && !isConvexCurvature(objective.curvature)) {
        const variables = dependsOn.length > 1 ? `(${dependsOn.join(", ")}) jointly` : dependsOn[0];
        this.report("information", "not-convex", declaration.name.span, `${loss.name} is not known to be convex in ${variables}: ${objective.reason}. Gradient descent may stop in a local minimum, and the landscape is not a bowl.`);
      }
    }
  }

  /** The params a declaration depends on, through the scores and losses it names. */
  private parametersOf(declaration: ast.Declaration): Set<string> {
    const known = this.dependencyMemo.get(declaration);
    if (known) return known;
    const result = new Set<string>();
    this.dependencyMemo.set(declaration, result); // also breaks cycles
    if (declaration.kind === "param") result.add(declaration.name.text);
    if (declaration.kind === "score" || declaration.kind === "loss") {
      forEachSubexpression(declaration.value, (expr) => {
        const symbol = expr.kind === "name" ? this.model.symbols.get(expr.name) : undefined;
        if (symbol) for (const param of this.parametersOf(symbol.declaration)) result.add(param);
      });
    }
    return result;
  }

  // ---- unused ---------------------------------------------------------------------------

  private checkUnused(): void {
    const used = new Set(this.model.references.map((reference) => reference.symbol));
    // Without experiments, losses are what the file is for: the roots, like runs are otherwise.
    const lossesAreRoots = this.model.experiments.size === 0;
    for (const symbol of this.model.symbols.values()) {
      if (used.has(symbol) || (lossesAreRoots && symbol.kind === "loss")) continue;
      const declaration = symbol.declaration;
      const remove: Fix = { title: `Remove ${symbol.kind} ${symbol.name}`, edits: [{ span: declaration.span, newText: "" }] };
      this.report("hint", "unused", declaration.name.span, `${symbol.kind} ${symbol.name} is never used`, { unnecessary: true, fixes: [remove] });
    }
  }
}


function isConvexCurvature(curvature: Curvature): boolean {
  return curvature === "convex" || curvature === "affine" || curvature === "constant";
}

function describeKind(kind: ValueKind): string {
  switch (kind.kind) {
    case "number":
      return kind.integer ? "a whole number" : "a number";
    case "string":
      return "a string";
    case "countOrFile":
      return "a number of examples or a file name";
    case "ref":
      return `the name of ${withArticle(kind.to)}`;
    case "split":
      return "a data split such as fmnist.train";
    case "strategy":
      return "an optimizer, random_search(...) or random_local_search(...)";
    case "schedule":
      return "a schedule such as step(every=500, gamma=0.5)";
    case "range":
      return "a range such as 1e-10 .. 1e-1";
    case "choice":
      return `one of ${kind.options.join(", ")}`;
    default:
      return "a value";
  }
}
