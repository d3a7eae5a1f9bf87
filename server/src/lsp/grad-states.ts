// Where each grad's check stands, for its code lens and hover: which checks
// of a document are under way (automatic ones after edits, and those the
// user asked for, of one grad or all), and the last result of each grad for
// the version it was computed on. A result for an older version is dropped.
import type { GradResult } from "../engine/check-gradients";
import type { GradCheckState } from "../features/code-lens";

interface Running {
  version: number;
  /** One grad's check, or every grad's. */
  grad?: string;
}

export class GradStates {
  private readonly results = new Map<string, { version: number; grads: Map<string, GradResult> }>();
  private readonly running = new Map<string, Running[]>();

  /** `changed` runs whenever a document's states change, so the editor can ask for its lenses again. */
  constructor(private readonly changed: (uri: string) => void) {}

  started(uri: string, version: number, grad?: string): void {
    this.running.set(uri, [...(this.running.get(uri) ?? []), { version, grad }]);
    this.changed(uri);
  }

  /** A check ended: with its grads' results, or none when it was cancelled or failed. */
  finished(uri: string, version: number, grad: string | undefined, grads: GradResult[] | undefined): void {
    const running = this.running.get(uri) ?? [];
    const index = running.findIndex((entry) => entry.version === version && entry.grad === grad);
    if (index >= 0) running.splice(index, 1);
    if (running.length === 0) this.running.delete(uri);
    if (grads) {
      const known = this.results.get(uri);
      const kept = known && known.version === version ? known.grads : new Map<string, GradResult>();
      // A check of every grad replaces them all; a check of one grad, only it.
      if (!grad) kept.clear();
      for (const result of grads) kept.set(result.name, result);
      this.results.set(uri, { version, grads: kept });
    }
    this.changed(uri);
  }

  /** The grads' last results for this version. */
  resultsFor(uri: string, version: number): GradResult[] {
    const known = this.results.get(uri);
    return known && known.version === version ? [...known.grads.values()] : [];
  }

  stateOf(uri: string, version: number, grad: string): GradCheckState {
    if ((this.running.get(uri) ?? []).some((entry) => entry.version === version && (entry.grad === undefined || entry.grad === grad))) return { checking: true };
    const known = this.results.get(uri);
    return { checking: false, result: known && known.version === version ? known.grads.get(grad) : undefined };
  }

  forget(uri: string): void {
    this.results.delete(uri);
    this.running.delete(uri);
  }
}
