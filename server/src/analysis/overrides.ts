// `--set NAME=VALUE`: a number in place of a hyper's value, or of a setting
// of an optimizer or experiment (`opt.lr=1e-3`, `train_svm.steps=100`). The
// override edits the document's text before it is analysed, so everything
// that reads the value (shapes, the plan, the checks) sees the new one and
// says where it is wrong as it would for the file. A search's trials are
// overrides, and its best trial's values are written into the file by the
// same edits.
import { closest } from "./suggest";
import { experimentSettings, optimizerRulesByName, type SettingSpec } from "../language/settings";
import { parse } from "../syntax/parse";
import type * as ast from "../syntax/ast";

export type Overridden = { ok: true; text: string; overrides: Record<string, number> } | { ok: false; message: string };

export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The settings a declaration's block accepts, by the language's tables. */
function settingsFor(declaration: ast.Declaration): SettingSpec[] {
  if (declaration.kind === "optimizer") return declaration.rule.kind === "name" ? optimizerRulesByName.get(declaration.rule.name)?.settings ?? [] : [];
  if (declaration.kind === "run" || declaration.kind === "sweep" || declaration.kind === "search" || declaration.kind === "landscape" || declaration.kind === "gradcheck") return experimentSettings[declaration.kind];
  return [];
}

function editFor(text: string, declarations: ast.Declaration[], name: string, value: string): Edit | string {
  const dot = name.indexOf(".");
  if (dot < 0) {
    const hypers = declarations.filter((declaration) => declaration.kind === "hyper");
    const hyper = hypers.find((declaration) => declaration.name.text === name);
    if (hyper?.kind === "hyper") return { start: hyper.value.span.start, end: hyper.value.span.end, text: value };
    const owners = declarations.filter((declaration) => settingsFor(declaration).length > 0).map((declaration) => declaration.name.text);
    const suggestion = closest(name, [...hypers.map((declaration) => declaration.name.text), ...owners]);
    const hint = suggestion && owners.includes(suggestion) ? `; did you mean a setting of ${suggestion}, such as '${suggestion}.${settingsFor(declarations.find((declaration) => declaration.name.text === suggestion) as ast.Declaration)[0].name}'?` : suggestion ? `; did you mean '${suggestion}'?` : "";
    return `there is no hyper named '${name}'${hint}`;
  }
  const owner = name.slice(0, dot);
  const key = name.slice(dot + 1);
  const declaration = declarations.find((candidate) => candidate.name.text === owner && settingsFor(candidate).length > 0);
  if (!declaration) {
    const suggestion = closest(owner, declarations.filter((candidate) => settingsFor(candidate).length > 0).map((candidate) => candidate.name.text));
    return `there is no optimizer or experiment named '${owner}'${suggestion ? `; did you mean '${suggestion}.${key}'?` : ""}`;
  }
  const specs = settingsFor(declaration);
  const spec = specs.find((candidate) => candidate.name === key);
  if (!spec) {
    const suggestion = closest(key, specs.map((candidate) => candidate.name));
    return `${declaration.kind} ${owner} has no setting '${key}'${suggestion ? `; did you mean '${owner}.${suggestion}'?` : ""}`;
  }
  if (spec.value.kind !== "number") return `${owner}.${key} is not a number, so --set cannot give it`;
  const block = "block" in declaration ? declaration.block : undefined;
  const setting = block?.settings.find((candidate) => candidate.key.text === key);
  if (setting?.value) return { start: setting.value.span.start, end: setting.value.span.end, text: value };
  // Absent: added as the block's last setting, after the one that is last now (or before the closing brace of an empty block).
  const close = block ? text.lastIndexOf("}", block.span.end) : -1;
  if (!block || close < block.span.start) return `${declaration.kind} ${owner} has no { } block to add ${key} to`;
  const last = block.settings[block.settings.length - 1];
  if (last) return { start: last.span.end, end: last.span.end, text: `; ${key} ${value}` };
  return { start: close, end: close, text: ` ${key} ${value} ` };
}

/** The edits that give each named hyper or setting (`reg`, `opt.lr`) its value, written as `values` has it; or why one cannot be given. */
export function overrideEdits(text: string, values: Readonly<Record<string, string>>): { ok: true; edits: Edit[] } | { ok: false; message: string } {
  const { document } = parse(text);
  const edits: Edit[] = [];
  for (const [name, value] of Object.entries(values)) {
    const edit = editFor(text, document.declarations, name, value);
    if (typeof edit === "string") return { ok: false, message: `${name}: ${edit}` };
    edits.push(edit);
  }
  return { ok: true, edits };
}

/** `sets` as given on the command line, each `NAME=VALUE`. */
export function applyOverrides(text: string, sets: readonly string[]): Overridden {
  const { document } = parse(text);
  const edits: Edit[] = [];
  const overrides: Record<string, number> = {};
  for (const set of sets) {
    const equals = set.indexOf("=");
    const name = equals < 0 ? "" : set.slice(0, equals).trim();
    const valueText = equals < 0 ? "" : set.slice(equals + 1).trim();
    if (!name || !valueText) return { ok: false, message: `--set takes NAME=VALUE, such as reg=1e-3 or opt.lr=0.01, not '${set}'` };
    const value = Number(valueText);
    if (!Number.isFinite(value)) return { ok: false, message: `--set ${name}: '${valueText}' is not a number` };
    if (name in overrides) return { ok: false, message: `--set ${name} is given twice` };
    const edit = editFor(text, document.declarations, name, valueText);
    if (typeof edit === "string") return { ok: false, message: `--set ${name}: ${edit}` };
    edits.push(edit);
    overrides[name] = value;
  }
  // From the end, so earlier offsets stay valid.
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return { ok: true, text: result, overrides };
}
