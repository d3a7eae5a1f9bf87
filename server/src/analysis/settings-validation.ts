// Blocks and calls against their schemas in language/settings.ts: which
// settings and arguments a block or call takes, and what kind of value each
// needs (numbers in range, names of the right kind, data splits, strategies,
// schedules, ranges, choices, inline data).
import type * as ast from "../syntax/ast";
import { schedulesByName, strategiesByName, type CallSpec, type SettingSpec, type ValueKind } from "../language/settings";
import type { CheckContext } from "./check-context";
import type { ConstantFolder } from "./constant-folding";
import type { SymbolKind } from "./model";
import { namesOfKind } from "./name-resolution";
import { withArticle } from "./suggest";

/** The splits a data set has: fmnist.train, a data block's `val 5000`. */
export const splits = ["train", "val", "test"];

export class SettingsValidator {
  constructor(
    private readonly context: CheckContext,
    private readonly constants: ConstantFolder,
  ) {}

  /**
   * Validates a block against its schema; returns the settings by key.
   * `others` takes the settings the schema does not name, where a block
   * accepts more (a search's searched hypers and optimizer settings); it
   * says whether it took one.
   */
  checkSettings(block: ast.Block | undefined, specs: SettingSpec[], owner: string, ownerSpan: ast.Span, reportMissing = true, others?: (setting: ast.Setting) => boolean): Map<string, ast.Setting> {
    const given = new Map<string, ast.Setting>();
    const byName = new Map(specs.map((spec) => [spec.name, spec]));
    for (const setting of block?.settings ?? []) {
      const key = setting.key.text;
      if (!key) continue;
      const spec = byName.get(key);
      if (!spec) {
        if (others?.(setting)) continue;
        if (specs.length > 0) this.context.unknownWord("unknown-setting", setting.key.span, `unknown setting '${key}' for ${owner}`, key, byName.keys());
        continue;
      }
      if (given.has(key)) {
        this.context.error("duplicate-setting", setting.key.span, `'${key}' is already set above`);
        continue;
      }
      given.set(key, setting);
      this.checkValue(setting.value, spec, setting.key.span);
    }
    if (reportMissing && block) {
      const missing = specs.filter((spec) => spec.required && !given.has(spec.name));
      for (const spec of missing) {
        this.context.error("missing-setting", ownerSpan, `${owner} needs '${spec.name}': ${lowerFirst(spec.doc)}`);
      }
    }
    return given;
  }

  private checkValue(value: ast.Expr | undefined, spec: SettingSpec, keySpan: ast.Span): void {
    const kind = spec.value;
    if (kind.kind === "flag") {
      if (value) this.context.error("bad-value", value.span, `'${spec.name}' takes no value`, [{ title: `Remove the value of '${spec.name}'`, edits: [{ span: { start: keySpan.end, end: value.span.end }, newText: "" }] }]);
      return;
    }
    if (!value) {
      this.context.error("bad-value", keySpan, `'${spec.name}' needs a value: ${describeKind(kind)}`);
      return;
    }
    if (value.kind === "missing") return;
    switch (kind.kind) {
      case "number":
        this.checkNumber(value, kind, spec.name);
        return;
      case "string":
        if (value.kind !== "string") this.context.error("bad-value", value.span, `'${spec.name}' needs a string in double quotes`);
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
          this.context.unknownWord("bad-value", value.span, `${written ? `'${written}'` : "this"} is not a choice for '${spec.name}'`, written, written ? kind.options : [], ` (one of ${kind.options.join(", ")})`);
        }
        return;
    }
  }

  private checkNumber(value: ast.Expr, kind: Extract<ValueKind, { kind: "number" }>, name: string): void {
    const number = this.constants.fold(value, true);
    if (number === undefined) return;
    if (kind.integer && !Number.isInteger(number)) this.context.error("bad-value", value.span, `'${name}' must be a whole number, not ${number}`);
    else if (kind.min !== undefined && (kind.exclusiveMin ? number <= kind.min : number < kind.min)) this.context.error("bad-value", value.span, `'${name}' must be ${kind.exclusiveMin ? "greater than" : "at least"} ${kind.min}, not ${number}`);
    else if (kind.max !== undefined && number > kind.max) this.context.error("bad-value", value.span, `'${name}' must be at most ${kind.max}, not ${number}`);
  }

  private checkRef(value: ast.Expr, to: SymbolKind[]): void {
    const wanted = to.map(withArticle).join(" or ");
    if (value.kind !== "name") {
      this.context.error("bad-value", value.span, `expected the name of ${wanted}`);
      return;
    }
    const table = to.includes("run") ? this.context.model.experiments : this.context.model.symbols;
    const symbol = table.get(value.name);
    if (!symbol) {
      this.context.unknownWord("unknown-name", value.span, `unknown ${to.join(" or ")} '${value.name}'`, value.name, to.flatMap((kind) => namesOfKind(table, kind)));
      return;
    }
    this.context.reference(value.name, value.span, symbol);
    if (!to.includes(symbol.kind)) this.context.error("bad-value", value.span, `'${value.name}' is ${withArticle(symbol.kind)}, not ${wanted}`);
  }

  private checkSplit(value: ast.Expr): void {
    if (value.kind !== "member" || value.target.kind !== "name") {
      this.context.error("bad-value", value.span, "expected a data split such as fmnist.train");
      return;
    }
    const dataName = value.target.name;
    const symbol = this.context.model.symbols.get(dataName);
    if (!symbol) {
      this.context.unknownWord("unknown-name", value.target.span, `unknown data set '${dataName}'`, dataName, namesOfKind(this.context.model.symbols, "data"));
      return;
    }
    this.context.reference(dataName, value.target.span, symbol);
    if (symbol.kind !== "data") {
      this.context.error("bad-value", value.target.span, `'${dataName}' is ${withArticle(symbol.kind)}, not a data set`);
      return;
    }
    if (!splits.includes(value.member.text)) this.context.unknownWord("bad-value", value.member.span, `unknown split '${value.member.text}'`, value.member.text, splits, ` (one of ${splits.join(", ")})`);
  }

  private checkStrategy(value: ast.Expr): void {
    if (value.kind === "call") {
      const spec = strategiesByName.get(value.callee.text);
      if (spec) this.checkCall(value, spec, "strategy");
      else this.context.unknownWord("unknown-strategy", value.callee.span, `unknown strategy '${value.callee.text}'`, value.callee.text, strategiesByName.keys(), ": use an optimizer's name, random_search(...) or random_local_search(...)");
      return;
    }
    // A bare strategy name uses its defaults.
    if (value.kind === "name" && strategiesByName.has(value.name)) return;
    this.checkRef(value, ["optimizer"]);
  }

  private checkScheduleValue(value: ast.Expr): void {
    // A bare name is the call without arguments: `schedule cosine`.
    const call: Extract<ast.Expr, { kind: "call" }> | undefined =
      value.kind === "call" ? value : value.kind === "name" ? { kind: "call", callee: { text: value.name, span: value.span }, args: [], span: value.span } : undefined;
    if (!call) {
      this.context.error("bad-value", value.span, `expected a schedule such as step(every=500, gamma=0.5): one of ${[...schedulesByName.keys()].join(", ")}`);
      return;
    }
    const spec = schedulesByName.get(call.callee.text);
    if (!spec) {
      this.context.unknownWord("unknown-schedule", call.callee.span, `unknown schedule '${call.callee.text}'`, call.callee.text, schedulesByName.keys(), ` (one of ${[...schedulesByName.keys()].join(", ")})`);
      return;
    }
    this.checkCall(call, spec, "schedule");
  }

  private checkRange(value: ast.Expr, positive: boolean, name: string): void {
    if (value.kind !== "range") {
      this.context.error("bad-value", value.span, `'${name}' needs a range such as 1e-10 .. 1e-1`);
      return;
    }
    if (value.scale) this.context.error("bad-value", value.scale.span, `'${value.scale.text}' spaces a search's range; '${name}' has no scale to choose`);
    const from = this.constants.fold(value.from, true);
    const to = this.constants.fold(value.to, true);
    if (from === undefined || to === undefined) return;
    if (positive && (from <= 0 || to <= 0)) this.context.error("bad-value", value.span, `'${name}' must be positive at both ends (it is spaced on a log scale)`);
    else if (from >= to) this.context.error("bad-value", value.span, `the range must go up: ${from} is not below ${to}`);
  }

  checkCall(call: Extract<ast.Expr, { kind: "call" }>, spec: CallSpec, what: string): void {
    const positional = call.args.filter((argument) => !argument.name);
    if (positional.length > spec.positional.length) {
      const extra = positional[spec.positional.length];
      this.context.error("bad-arguments", extra.span, spec.positional.length === 0 ? `${spec.name} takes only named arguments: ${spec.named.map((named) => `${named.name}=…`).join(", ")}` : `${spec.name} takes ${spec.positional.length} positional argument${spec.positional.length === 1 ? "" : "s"}`);
    }
    positional.slice(0, spec.positional.length).forEach((argument, i) => this.checkValue(argument.value, spec.positional[i], argument.span));
    if (positional.length < spec.positional.length) {
      const missing = spec.positional[positional.length];
      this.context.error("bad-arguments", call.span, `${what} ${spec.name} needs its ${missing.name}: ${lowerFirst(missing.doc)}`);
    }
    const seen = new Set<string>();
    for (const argument of call.args) {
      if (!argument.name) continue;
      const named = spec.named.find((candidate) => candidate.name === argument.name?.text);
      if (!named) {
        const names = spec.named.map((candidate) => candidate.name);
        this.context.unknownWord("unknown-argument", argument.name.span, `${spec.name} has no argument '${argument.name.text}'`, argument.name.text, names, names.length ? ` (it takes ${names.join(", ")})` : "");
        continue;
      }
      if (seen.has(named.name)) this.context.error("duplicate-setting", argument.name.span, `'${named.name}' is given twice`);
      seen.add(named.name);
      // inline(X=[[...]], y=[...]) takes literal lists.
      if (spec.name === "inline") this.checkInlineList(argument.value, named.name);
      else this.checkValue(argument.value, named, argument.name.span);
    }
    for (const named of spec.named) {
      if (named.required && !seen.has(named.name)) this.context.error("bad-arguments", call.span, `${spec.name} needs ${named.name}=…: ${lowerFirst(named.doc)}`);
    }
  }

  private checkInlineList(value: ast.Expr, name: string): void {
    if (value.kind !== "list") {
      this.context.error("bad-value", value.span, `${name} is a list in brackets`);
      return;
    }
    if (name === "y") {
      for (const item of value.items) {
        const label = this.constants.fold(item, true);
        if (label !== undefined && (!Number.isInteger(label) || label < 0)) this.context.error("bad-value", item.span, `a label is a whole number 0, 1, 2, …, not ${label}`);
      }
      return;
    }
    const widths = value.items.map((row) => (row.kind === "list" ? row.items.length : 1));
    value.items.forEach((row, i) => {
      if (widths[i] !== widths[0]) this.context.error("bad-value", row.span, `every row needs ${widths[0]} value${widths[0] === 1 ? "" : "s"}, like the first; this one has ${widths[i]}`);
      for (const item of row.kind === "list" ? row.items : [row]) this.constants.fold(item, true);
    });
  }
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
      return `the name of ${kind.to.map(withArticle).join(" or ")}`;
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

/** A setting's documentation, continuing a sentence. */
function lowerFirst(text: string): string {
  return `${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}
