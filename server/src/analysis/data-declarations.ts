// Data declarations: the data's D and C, bound from what the sources say or
// the data layer read, and agreed on by every data set; a data set's source,
// its settings, and the files a split names.
import type * as ast from "../syntax/ast";
import { dataSettings, dataSourcesByName, type CallSpec } from "../language/settings";
import type { CheckContext } from "./check-context";
import type { ConstantFolder } from "./constant-folding";
import { constDim, unify } from "./dims";
import type { DataFacts, DataFactsProvider } from "./model";
import { splits, type SettingsValidator } from "./settings-validation";

type DataDeclaration = Extract<ast.Declaration, { kind: "data" }>;

/** D and C come from the data sets; all of them must agree. */
export function bindDataDims(context: CheckContext, constants: ConstantFolder, dataFacts: DataFactsProvider | undefined): void {
  const seen: { D?: { value: number; name: string }; C?: { value: number; name: string } } = {};
  for (const symbol of context.model.symbols.values()) {
    const declaration = symbol.declaration;
    if (declaration.kind !== "data") continue;
    const facts = staticDataFacts(constants, declaration) ?? dataFacts?.(declaration);
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
        context.error("data-dims", declaration.name.span, `data sets disagree on ${what}: ${earlier.name} has ${earlier.value}, ${symbol.name} has ${value}; X and y can stand for only one of them`);
        continue;
      }
      seen[dim] = { value, name: symbol.name };
      unify(context.model.dims[dim], constDim(value));
    }
  }
}

/** What the generators and fixed formats say about their shape, without reading anything. */
function staticDataFacts(constants: ConstantFolder, declaration: DataDeclaration): DataFacts | undefined {
  const source = declaration.source;
  if (source.kind !== "call") return undefined;
  const named = (name: string, fallback: number): number => {
    const argument = source.args.find((candidate) => candidate.name?.text === name);
    const value = argument ? constants.fold(argument.value) : fallback;
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
      const classValues = labels?.kind === "list" ? labels.items.map((item) => constants.fold(item)) : [];
      const valid = classValues.length > 0 && classValues.every((value) => value !== undefined && Number.isInteger(value) && value >= 0);
      return { features, classes: valid ? Math.max(...(classValues as number[])) + 1 : undefined };
    }
    default:
      return undefined;
  }
}

export function checkData(context: CheckContext, settings: SettingsValidator, declaration: DataDeclaration): void {
  const source = declaration.source;
  const sourceNames = [...dataSourcesByName.keys()];
  const spec = source.kind === "call" ? dataSourcesByName.get(source.callee.text) : undefined;
  if (source.kind === "call" && spec) settings.checkCall(source, spec, "data source");
  else if (source.kind === "call") context.unknownWord("unknown-source", source.callee.span, `unknown data source '${source.callee.text}'`, source.callee.text, sourceNames, ` (one of ${sourceNames.join(", ")})`);
  else if (source.kind !== "missing") context.error("unknown-source", source.span, `a data set comes from a source such as idx("folder") or toy(); one of ${sourceNames.join(", ")}`);
  const given = settings.checkSettings(declaration.block, dataSettings, `data ${declaration.name.text}`, declaration.name.span);
  if (source.kind === "call" && spec) checkSplitFiles(context, given, spec);
}

/** A split given by file needs a source that reads files, and as many names as that source reads per split. */
function checkSplitFiles(context: CheckContext, given: Map<string, ast.Setting>, source: CallSpec): void {
  for (const split of splits) {
    const value = given.get(split)?.value;
    if (value?.kind !== "string" && value?.kind !== "list") continue;
    const files = source.splitFiles;
    if (!files) {
      context.error("bad-value", value.span, `'${split}' must be a number of examples here: ${source.name}() reads no files`);
      continue;
    }
    const example = `${split} ${files.example.replaceAll("{split}", split)}`;
    if (files.count === 2 && (value.kind !== "list" || value.items.length !== 2)) {
      context.error("bad-value", value.span, `'${split}' names two files for ${source.name}, the inputs and the labels: ${example}`);
    } else if (files.count === 1 && value.kind === "list") {
      context.error("bad-value", value.span, `'${split}' names one file for ${source.name}: ${example}`);
    }
  }
}
