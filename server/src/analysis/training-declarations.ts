// Optimizers and experiments (runs, sweeps, landscapes, gradchecks): an
// optimizer's rule and settings, an experiment's settings, and a run's length.
import type * as ast from "../syntax/ast";
import { experimentSettings, optimizerRulesByName, strategiesByName } from "../language/settings";
import type { CheckContext } from "./check-context";
import type { Fix } from "./diagnostic";
import type { SettingsValidator } from "./settings-validation";

export function checkOptimizer(context: CheckContext, settings: SettingsValidator, declaration: Extract<ast.Declaration, { kind: "optimizer" }>): void {
  const rule = declaration.rule;
  const ruleNames = [...optimizerRulesByName.keys()];
  const ruleName = rule.kind === "name" ? rule.name : rule.kind === "call" ? rule.callee.text : undefined;
  const ruleSpan = rule.kind === "call" ? rule.callee.span : rule.span;
  const spec = ruleName ? optimizerRulesByName.get(ruleName) : undefined;
  if (rule.kind === "missing") return;
  if (!spec) {
    const shown = ruleName ?? "this";
    context.unknownWord("unknown-optimizer", ruleSpan, `unknown optimizer rule '${shown}'`, ruleName ?? "", ruleName ? ruleNames : [], ` (one of ${ruleNames.join(", ")})`);
    settings.checkSettings(declaration.block, [], `optimizer ${declaration.name.text}`, declaration.name.span, false);
    return;
  }
  if (rule.kind === "call" && rule.args.length > 0) context.error("optimizer-args", rule.span, `write ${spec.name}'s settings in braces: optimizer ${declaration.name.text} = ${spec.name} { lr 1e-3 }`);
  settings.checkSettings(declaration.block, spec.settings, `${spec.name}`, declaration.name.span);
  if (!declaration.block) context.error("missing-setting", declaration.name.span, `optimizer ${declaration.name.text} needs a step size: ${spec.name} { lr 1e-3 }`);
}

export function checkExperiment(context: CheckContext, settings: SettingsValidator, declaration: Extract<ast.Declaration, { kind: ast.ExperimentKind }>): void {
  const specs = experimentSettings[declaration.kind];
  const given = settings.checkSettings(declaration.block, specs, `${declaration.kind} ${declaration.name.text}`, declaration.name.span);
  if (declaration.kind === "run") {
    const by = given.get("by")?.value;
    const usesOptimizer = by?.kind === "name" && !strategiesByName.has(by.name);
    if (usesOptimizer && !given.has("steps") && !given.has("epochs")) {
      const end = declaration.block.span.end - 1;
      const insert = (text: string): Fix => ({ title: `Add '${text}'`, edits: [{ span: { start: end, end }, newText: `; ${text} ` }] });
      context.error("missing-setting", declaration.name.span, `run ${declaration.name.text} needs a length: add 'steps 1000' or 'epochs 1'`, [insert("steps 1000"), insert("epochs 1")]);
    }
    if (given.has("steps") && given.has("epochs")) {
      context.error("conflicting-settings", given.get("epochs")?.key.span ?? declaration.name.span, "give either steps or epochs, not both");
    }
  }
}
