// The true gradient of a loss with respect to a param or a score at a point,
// by reverse mode through the reference executor. A grad that uses a wrong
// grad is checked again with the true value in its place: if it is then
// right, it is wrong only through the grad it uses.
import type * as ast from "../syntax/ast";
import type { CheckedModel, SymbolInfo } from "../analysis/model";
import { compileDeclaration } from "./compile";
import type { Graph } from "./ir";
import { evaluate, gradients, type Bindings } from "./reference";
import type { Tensor } from "./tensor";

interface Compiled {
  /** The loss, with the score as an input when the gradient is a score's. */
  loss: Graph;
  /** The score's value from the params, when the gradient is a score's. */
  score?: Graph;
}

export class TrueGradients {
  private readonly compiled = new Map<string, Compiled | undefined>();

  constructor(private readonly model: CheckedModel) {}

  /** d loss / d wrt where the params are `bindings.params`; undefined when either cannot be compiled. */
  at(loss: SymbolInfo, wrt: SymbolInfo, bindings: Bindings): Tensor | undefined {
    const graphs = this.graphs(loss.declaration, wrt);
    if (!graphs) return undefined;
    const params = new Map(bindings.params);
    if (graphs.score) params.set(wrt.name, evaluate(graphs.score, bindings)[graphs.score.output]);
    const at = { ...bindings, params };
    return gradients(graphs.loss, evaluate(graphs.loss, at)).get(wrt.name);
  }

  private graphs(loss: ast.Declaration, wrt: SymbolInfo): Compiled | undefined {
    const key = `${loss.name.text}/${wrt.name}`;
    if (this.compiled.has(key)) return this.compiled.get(key);
    const isScore = wrt.kind === "score";
    const lossGraph = compileDeclaration(this.model, loss, isScore ? new Set([wrt.declaration]) : undefined);
    const scoreGraph = isScore ? compileDeclaration(this.model, wrt.declaration) : undefined;
    const graphs = lossGraph.ok && (!scoreGraph || scoreGraph.ok) ? { loss: lossGraph.graph, ...(scoreGraph?.ok ? { score: scoreGraph.graph } : {}) } : undefined;
    this.compiled.set(key, graphs);
    return graphs;
  }
}
