// Which schema applies where: the settings of a declaration's block, and the
// call specs by name. Shared by completion, hover and signature help.
import type * as ast from "../syntax/ast";
import { dataSettings, dataSourcesByName, experimentSettings, optimizerRulesByName, schedulesByName, strategiesByName, type CallSpec, type SettingSpec } from "./settings";

export function settingSpecsFor(declaration: ast.Declaration): SettingSpec[] {
  switch (declaration.kind) {
    case "data":
      return dataSettings;
    case "optimizer": {
      const rule = declaration.rule.kind === "name" ? optimizerRulesByName.get(declaration.rule.name) : undefined;
      return rule?.settings ?? [];
    }
    case "run":
    case "sweep":
    case "search":
    case "landscape":
    case "gradcheck":
      return experimentSettings[declaration.kind];
    default:
      return [];
  }
}

/** A data source, schedule or strategy by name; `data` looks only at data sources. */
export function callSpecFor(context: "data" | "any", name: string): CallSpec | undefined {
  if (context === "data") return dataSourcesByName.get(name);
  return schedulesByName.get(name) ?? strategiesByName.get(name) ?? dataSourcesByName.get(name);
}
