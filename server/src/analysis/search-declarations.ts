// A `search` declaration: its own settings by the schema, and what it
// searches: any hyper of the file and any number setting of the optimizer
// `by` names, each a range (`1e-6 .. 1e-2 log`) or a list (`[32, 64]`), within
// the bounds the setting has. What it finds becomes the declaration's
// search space (`DeclarationFacts.search`), which the trials are drawn from.
import type * as ast from "../syntax/ast";
import { experimentSettings, optimizerRulesByName, type SettingSpec, type ValueKind } from "../language/settings";
import type { CheckContext } from "./check-context";
import type { ConstantFolder } from "./constant-folding";
import type { SearchDimension } from "./model";
import type { SettingsValidator } from "./settings-validation";

export type SearchDeclaration = Extract<ast.Declaration, { kind: ast.ExperimentKind }> & { kind: "search" };
type NumberKind = Extract<ValueKind, { kind: "number" }>;

/** The most trials one search may run. */
export const maxTrials = 1000;

/** What a search key names: a hyper, or a number setting of the optimizer. */
interface Target {
  name: string;
  bounds: NumberKind;
}

export function checkSearch(context: CheckContext, settings: SettingsValidator, constants: ConstantFolder, declaration: SearchDeclaration): void {
  const owner = `search ${declaration.name.text}`;
  const specs = experimentSettings.search;
  const by = declaration.block.settings.find((setting) => setting.key.text === "by")?.value;
  const optimizer = by?.kind === "name" ? context.model.symbols.get(by.name)?.declaration : undefined;
  const rule = optimizer?.kind === "optimizer" && optimizer.rule.kind === "name" ? optimizerRulesByName.get(optimizer.rule.name) : undefined;
  const dimensions: SearchDimension[] = [];
  const seen = new Set<string>();
  let broken = false;
  const searched = (setting: ast.Setting): boolean => {
    const key = setting.key.text;
    const target = targetOf(context, key, setting.key.span, optimizer?.kind === "optimizer" ? optimizer.name.text : undefined, rule?.settings ?? []);
    if (!target) {
      const hypers = [...context.model.symbols.values()].filter((symbol) => symbol.kind === "hyper").map((symbol) => symbol.name);
      const where = optimizer?.kind === "optimizer" ? `, nor a setting of ${optimizer.name.text} (${rule ? rule.settings.map((spec) => spec.name).join(", ") : "its rule is unknown"})` : "";
      context.unknownWord("unknown-setting", setting.key.span, `'${key}' is not a setting of a search, nor a hyper of this file${where}`, key, [...specs.map((spec) => spec.name), ...hypers, ...(rule?.settings.map((spec) => spec.name) ?? [])]);
      broken = true;
      return true;
    }
    if (typeof target === "string") {
      context.error("bad-value", setting.key.span, target);
      broken = true;
      return true;
    }
    if (seen.has(key)) {
      context.error("duplicate-setting", setting.key.span, `'${key}' is already set above`);
      return true;
    }
    seen.add(key);
    const dimension = checkSearched(context, constants, setting, key, target);
    if (dimension) dimensions.push(dimension);
    else broken = true;
    return true;
  };
  const given = settings.checkSettings(declaration.block, specs, owner, declaration.name.span, true, searched);
  if (!given.has("steps") && !given.has("epochs")) {
    const end = declaration.block.span.end - 1;
    context.error("missing-setting", declaration.name.span, `${owner} needs the length of each trial: add 'epochs 1' or 'steps 1000'`, [{ title: "Add 'epochs 1'", edits: [{ span: { start: end, end }, newText: "; epochs 1 " }] }]);
  }
  if (given.has("steps") && given.has("epochs")) context.error("conflicting-settings", given.get("epochs")?.key.span ?? declaration.name.span, "give either steps or epochs, not both");
  const number = (key: string) => {
    const value = given.get(key)?.value;
    return value ? constants.fold(value) : undefined;
  };
  const methodValue = given.get("method")?.value;
  const method = methodValue?.kind === "name" && methodValue.name === "grid" ? "grid" : "random";
  if (method === "grid" && given.has("trials")) context.error("conflicting-settings", given.get("trials")?.key.span ?? declaration.name.span, "a grid search runs every combination: leave out 'trials', or use method random");
  if (method === "random" && given.has("points")) context.error("conflicting-settings", given.get("points")?.key.span ?? declaration.name.span, "'points' is for method grid: a random search draws 'trials' values");
  if (dimensions.length === 0 && !broken) {
    context.error("missing-setting", declaration.name.span, `${owner} needs something to search: a hyper or a setting of its optimizer with a range, such as 'lr 1e-4 .. 1e-1' or 'reg 1e-6 .. 1e-2'`);
    return;
  }
  if (broken) return;
  const points = number("points") ?? 3;
  const trials = method === "grid" ? dimensions.reduce((count, dimension) => count * (dimension.values?.length ?? points), 1) : number("trials") ?? 20;
  if (trials > maxTrials) {
    context.error("bad-value", given.get(method === "grid" ? "points" : "trials")?.key.span ?? declaration.name.span, `${owner} would run ${trials} trials; at most ${maxTrials}`);
    return;
  }
  context.facts(declaration).search = { method, trials, points, dimensions };
}

/** What `key` names in a search whose optimizer is `optimizer`: a hyper first, then a setting of its rule; a string says why it cannot be searched. */
function targetOf(context: CheckContext, key: string, span: ast.Span, optimizer: string | undefined, ruleSettings: SettingSpec[]): Target | string | undefined {
  const symbol = context.model.symbols.get(key);
  if (symbol?.kind === "hyper") {
    context.reference(key, span, symbol);
    return { name: key, bounds: { kind: "number" } };
  }
  const spec = ruleSettings.find((candidate) => candidate.name === key);
  if (!spec || optimizer === undefined) return undefined;
  if (spec.value.kind !== "number") return `'${key}' is not a number, so a search cannot vary it`;
  return { name: `${optimizer}.${key}`, bounds: spec.value };
}

function checkSearched(context: CheckContext, constants: ConstantFolder, setting: ast.Setting, key: string, target: Target): SearchDimension | undefined {
  const value = setting.value;
  const integer = target.bounds.integer ?? false;
  if (!value) {
    context.error("bad-value", setting.key.span, `'${key}' needs a range such as 1e-4 .. 1e-1, or a list such as [1e-3, 1e-2], to search`);
    return undefined;
  }
  if (value.kind === "missing") return undefined;
  const inBounds = (number: number, span: ast.Span): boolean => {
    const message = boundsProblem(number, target.bounds, key);
    if (message) context.error("bad-value", span, message);
    return message === undefined;
  };
  if (value.kind === "list") {
    if (value.items.length === 0) {
      context.error("bad-value", value.span, `'${key}' needs at least one value to try`);
      return undefined;
    }
    const values: number[] = [];
    for (const item of value.items) {
      const number = constants.fold(item, true);
      if (number === undefined || !inBounds(number, item.span)) return undefined;
      values.push(number);
    }
    return { name: target.name, key, integer, values };
  }
  if (value.kind !== "range") {
    context.error("bad-value", value.span, `'${key}' needs a range such as 1e-4 .. 1e-1, or a list such as [1e-3, 1e-2], to search`);
    return undefined;
  }
  const from = constants.fold(value.from, true);
  const to = constants.fold(value.to, true);
  if (from === undefined || to === undefined) return undefined;
  if (!inBounds(from, value.from.span) || !inBounds(to, value.to.span)) return undefined;
  if (from >= to) {
    context.error("bad-value", value.span, `the range must go up: ${from} is not below ${to}`);
    return undefined;
  }
  const written = value.scale?.text;
  if (written === "log" && from <= 0) {
    context.error("bad-value", value.span, `a log range must be above 0 at both ends, not from ${from}: write 'linear', or start above 0`);
    return undefined;
  }
  if (integer && Math.ceil(from) > Math.floor(to)) {
    context.error("bad-value", value.span, `'${key}' is a whole number, and no whole number lies between ${from} and ${to}`);
    return undefined;
  }
  const scale = written === "linear" || from <= 0 ? "linear" : "log";
  return { name: target.name, key, integer, range: { from, to, scale } };
}

/** Why a value is outside a setting's bounds, in the words the settings' own checks use. */
function boundsProblem(number: number, kind: NumberKind, name: string): string | undefined {
  if (kind.integer && !Number.isInteger(number)) return `'${name}' must be a whole number, not ${number}`;
  if (kind.min !== undefined && (kind.exclusiveMin ? number <= kind.min : number < kind.min)) return `'${name}' must be ${kind.exclusiveMin ? "greater than" : "at least"} ${kind.min}, not ${number}`;
  if (kind.max !== undefined && number > kind.max) return `'${name}' must be at most ${kind.max}, not ${number}`;
  return undefined;
}
