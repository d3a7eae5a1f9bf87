// Messages between the extension and its webview panels, declared once and
// imported by both sides. Everything arriving from a webview is validated.
import type { DeclarationSummary, PreviewDataRequest } from "../../server/src/protocol";

/** Extension -> webview. */
export type ToWebview =
  | {
      type: "summary";
      file: string;
      version: number;
      declarations: DeclarationSummary[];
      errors: number;
      warnings: number;
    }
  | { type: "empty"; reason: string };

/** Extension -> data preview panel. */
export type ToDataPanel = { type: "preview"; preview: PreviewDataRequest.Result } | { type: "loading"; name: string };

/** Webview -> extension. */
export type FromWebview = { type: "ready" } | { type: "reveal"; line: number };

/** Accepts only well-formed messages; anything else is dropped by the caller. */
export function parseFromWebview(message: unknown): FromWebview | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const candidate = message as Record<string, unknown>;
  if (candidate.type === "ready") return { type: "ready" };
  if (candidate.type === "reveal" && Number.isInteger(candidate.line) && (candidate.line as number) >= 0) {
    return { type: "reveal", line: candidate.line as number };
  }
  return undefined;
}
