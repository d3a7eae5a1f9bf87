// The checked model: what analysis knows about a document beyond its syntax.
// Plain data, keyed by syntax nodes; the editor features and the compiler read it.
import type * as ast from "../syntax/ast";
import type { Curvature } from "./curvature";
import type { Dim, Shape } from "./dims";

export type SymbolKind = "data" | "hyper" | "param" | "score" | "loss" | "optimizer" | ast.ExperimentKind | "grad";

export interface SymbolInfo {
  name: string;
  kind: SymbolKind;
  declaration: ast.Declaration;
}

/** A use of a declared name, in an expression or a setting. */
export interface Reference {
  name: string;
  span: ast.Span;
  symbol: SymbolInfo;
}

export interface CurvatureFact {
  /** The parameter, or `"all"` for every parameter jointly. */
  wrt: string;
  curvature: Curvature;
  reason: string;
}

export interface DeclarationFacts {
  /** Shape of a param, score, loss or grad value. */
  shape?: Shape;
  /** Value of a hyper. */
  value?: number;
  /** Curvature of a loss in each parameter it depends on. */
  curvature?: CurvatureFact[];
  /** For a grad: the loss, and the param or score it is differentiated with respect to. */
  gradOf?: { loss: SymbolInfo; wrt: SymbolInfo };
  /** For a search without errors in what it searches: its trials' space. */
  search?: SearchSpace;
}

/** One hyper or optimizer setting a search varies. */
export interface SearchDimension {
  /** As `--set` names it: `reg` for a hyper, `opt.lr` for a setting of optimizer opt. */
  name: string;
  /** The key as the search writes it: `reg`, `lr`. */
  key: string;
  /** A whole-number setting (`batch`): its values are rounded. */
  integer: boolean;
  /** A range and the scale it is spaced on. */
  range?: { from: number; to: number; scale: "log" | "linear" };
  /** A list's values, in order. */
  values?: number[];
}

export interface SearchSpace {
  method: "random" | "grid";
  /** Trials of a random search. */
  trials: number;
  /** Values per range in a grid. */
  points: number;
  dimensions: SearchDimension[];
}

export interface DataDims {
  /** Features per example, after preprocessing. */
  D: Dim;
  /** Number of classes. */
  C: Dim;
  /** The batch size: a symbol, never a number. */
  N: Dim;
}

export interface CheckedModel {
  document: ast.Document;
  /** Data, hypers, params, scores, losses and optimizers share one namespace. */
  symbols: Map<string, SymbolInfo>;
  /** Runs, sweeps, landscapes and gradchecks. */
  experiments: Map<string, SymbolInfo>;
  /** Grads, keyed by their `dL/dW` text. */
  grads: Map<string, SymbolInfo>;
  references: Reference[];
  facts: Map<ast.Declaration, DeclarationFacts>;
  /** The inferred shape of every expression that has one. */
  shapes: Map<ast.Expr, Shape>;
  dims: DataDims;
}

/** What the data layer knows about a data declaration without analysis (read from files or the generator). */
export interface DataFacts {
  features?: number;
  classes?: number;
}

export type DataFactsProvider = (declaration: Extract<ast.Declaration, { kind: "data" }>) => DataFacts | undefined;
