// CSV files: a header row naming the columns, one example per line, a label
// column (by name, default `label`) and numeric features in every other
// column, in header order. Blank lines are skipped; lines count from 1 (the
// header is line 1). Quoted fields ("a, b", "" for a quote) are understood;
// fields spanning lines are not.
//
// Labels: the first example's label decides. If it is a number, every label
// must be a class index (a whole number ≥ 0) and classes = max + 1. Otherwise
// every label is a class name, names get indices 0, 1, … in order of first
// appearance, and `classNames` lists them.
import { readFile } from "node:fs/promises";
import { fail, fileError, ioError, lineError, ok } from "./errors";
import { examplesBytes, sizeLimitError } from "./size-limit";
import type { Examples, LoadOptions, Result } from "./types";

export interface CsvOptions extends LoadOptions {
  labelColumn?: string;
  /** For a split's own file: the header it must repeat (the training file's columns, in order). */
  columns?: string[];
  /**
   * For a split's own file: the training file's class names, which keep their
   * indices, so a label not among them is an error. Empty when the training
   * labels are class indices: the split's must then be indices too.
   */
  classNames?: string[];
}

/** The examples and the header's column names. */
export interface CsvTable {
  examples: Examples;
  columns: string[];
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
const WHOLE = /^\+?\d+$/;

type Fields = { ok: true; fields: string[] } | { ok: false; detail: string };

function splitFields(line: string): Fields {
  if (!line.includes('"')) return { ok: true, fields: line.split(",") };
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field.trim() === "") {
      quoted = true;
      field = "";
    } else if (char === ",") {
      fields.push(field);
      field = "";
    } else {
      field += char;
    }
  }
  if (quoted) return { ok: false, detail: "a quoted field is not closed (fields cannot span lines)" };
  fields.push(field);
  return { ok: true, fields };
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/** Lines of the text without their line ends; index i is line i + 1. */
function splitLines(text: string): string[] {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return withoutBom.split(/\r?\n/);
}

function parseValue(path: string, line: number, text: string, column: string): Result<number> {
  const trimmed = text.trim();
  if (NUMBER.test(trimmed)) {
    const value = Number(trimmed);
    if (Number.isFinite(Math.fround(value))) return ok(value);
    return lineError(path, line, `'${trimmed}' in column '${column}' is too large for float32`);
  }
  if (trimmed === "") return lineError(path, line, `empty value in column '${column}'`);
  if (NAN.test(trimmed)) return lineError(path, line, `NaN in column '${column}'`);
  if (INFINITY.test(trimmed)) return lineError(path, line, `infinite value '${trimmed}' in column '${column}'`);
  return lineError(path, line, `'${trimmed}' in column '${column}' is not a number`);
}

function quotedList(names: string[], most = 10): string {
  const shown = names.slice(0, most).map((name) => `'${name}'`);
  return names.length > most ? `${shown.join(", ")}, … (${names.length} in all)` : shown.join(", ");
}

/** Parses CSV text; `path` names the file in messages. */
export function parseCsv(path: string, text: string, options: CsvOptions = {}): Result<Examples> {
  const table = parseCsvTable(path, text, options);
  return table.ok ? ok(table.value.examples) : table;
}

export function parseCsvTable(path: string, text: string, options: CsvOptions = {}): Result<CsvTable> {
  const labelColumn = options.labelColumn ?? "label";
  const lines = splitLines(text);
  const headerIndex = lines.findIndex((line) => !isBlank(line));
  if (headerIndex < 0) return fileError(path, "is empty; a header row naming the columns is required");
  const headerLine = headerIndex + 1;
  const header = splitFields(lines[headerIndex]);
  if (!header.ok) return lineError(path, headerLine, header.detail);
  const columns = header.fields.map((name) => name.trim());
  if (columns.every((name) => NUMBER.test(name))) {
    return lineError(path, headerLine, `the first row holds numbers, but a header row naming the columns (one of them '${labelColumn}') is required`);
  }
  const seen = new Set<string>();
  for (const name of columns) {
    if (name === "") return lineError(path, headerLine, "a column has no name");
    if (seen.has(name)) return lineError(path, headerLine, `column '${name}' appears twice`);
    seen.add(name);
  }
  const labelIndex = columns.indexOf(labelColumn);
  if (labelIndex < 0) return lineError(path, headerLine, `no column named '${labelColumn}' (the columns are ${columns.map((name) => `'${name}'`).join(", ")})`);
  const expected = options.columns;
  if (expected && (expected.length !== columns.length || expected.some((name, i) => name !== columns[i]))) {
    return lineError(path, headerLine, `the columns are ${quotedList(columns)}, but the training file's are ${quotedList(expected)}`);
  }
  const d = columns.length - 1;
  if (d === 0) return lineError(path, headerLine, `only the label column '${labelColumn}': there are no feature columns`);

  let rowsBound = 0;
  for (let i = headerIndex + 1; i < lines.length; i++) if (!isBlank(lines[i])) rowsBound++;
  if (rowsBound === 0) return lineError(path, headerLine, "a header but no examples");
  const tooBig = sizeLimitError(path, `${rowsBound} rows of ${d} values`, examplesBytes(rowsBound, d), options.maxBytes);
  if (tooBig) return fail(tooBig);

  const scale = options.scale ?? 1;
  const X = new Float32Array(rowsBound * d);
  const y = new Int32Array(rowsBound);
  const fixedNames = options.classNames;
  let names = fixedNames && fixedNames.length > 0 ? new Map(fixedNames.map((name, index) => [name, index])) : undefined;
  let firstLabelLine = 0;
  let maxLabel = -1;
  let n = 0;
  for (let i = headerIndex + 1; i < lines.length; i++) {
    if (isBlank(lines[i])) continue;
    const line = i + 1;
    const split = splitFields(lines[i]);
    if (!split.ok) return lineError(path, line, split.detail);
    const fields = split.fields;
    if (fields.length !== columns.length) return lineError(path, line, `${fields.length} values, but the header has ${columns.length} columns`);
    let feature = 0;
    for (let column = 0; column < fields.length; column++) {
      if (column === labelIndex) continue;
      const value = parseValue(path, line, fields[column], columns[column]);
      if (!value.ok) return value;
      X[n * d + feature] = value.value * scale;
      feature++;
    }
    const label = fields[labelIndex].trim();
    if (label === "") return lineError(path, line, `empty label in column '${labelColumn}'`);
    if (n === 0) {
      firstLabelLine = line;
      if (!fixedNames && !NUMBER.test(label)) names = new Map();
    }
    if (names) {
      let index = names.get(label);
      if (index === undefined) {
        if (fixedNames) return lineError(path, line, `label '${label}' is not one of the training file's classes (${quotedList(fixedNames)})`);
        index = names.size;
        names.set(label, index);
      }
      y[n] = index;
    } else {
      if (!WHOLE.test(label) || Number(label) > 0x7fffffff) {
        const reason = NUMBER.test(label)
          ? "is not a whole number ≥ 0"
          : fixedNames
            ? "is not a number, but the training file's labels are, so labels are class indices"
            : `is not a number, but the label on line ${firstLabelLine} is, so labels are class indices`;
        return lineError(path, line, `label '${label}' ${reason}`);
      }
      const value = Number(label);
      y[n] = value;
      if (value > maxLabel) maxLabel = value;
    }
    n++;
  }
  const examples: Examples = { X, y, n, d, classes: names ? names.size : maxLabel + 1 };
  if (names) examples.classNames = [...names.keys()];
  return ok({ examples, columns });
}

export async function loadCsv(path: string, options: CsvOptions = {}): Promise<Result<Examples>> {
  const table = await loadCsvTable(path, options);
  return table.ok ? ok(table.value.examples) : table;
}

export async function loadCsvTable(path: string, options: CsvOptions = {}): Promise<Result<CsvTable>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    return ioError(path, cause);
  }
  return parseCsvTable(path, text, options);
}

/** Bytes the examples will take: counts rows and columns without parsing values. */
export async function estimateCsv(path: string): Promise<Result<number>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    return ioError(path, cause);
  }
  const lines = splitLines(text).filter((line) => !isBlank(line));
  if (lines.length === 0) return ok(0);
  const header = splitFields(lines[0]);
  const columns = header.ok ? header.fields.length : 1;
  return ok(examplesBytes(lines.length - 1, Math.max(columns - 1, 0)));
}
