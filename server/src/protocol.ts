// Custom messages between the language server and the extension, declared
// once and imported by both sides. Plain data only: no editor or LSP types.

/** One declaration of a document, as listed in the lab panel. */
export interface DeclarationSummary {
  kind: string;
  name: string;
  /** Zero-based line of the declaration keyword. */
  line: number;
}

/** Sent by the server after it analysed a document version. */
export namespace AnalysisSummaryNotification {
  export const method = "optim/analysisSummary";
  export interface Params {
    uri: string;
    version: number;
    declarations: DeclarationSummary[];
    errors: number;
    warnings: number;
  }
}

export type ServerState = "starting" | "ready" | "busy";

/** Sent by the server when its state changes; the status bar shows it. */
export namespace ServerStatusNotification {
  export const method = "optim/serverStatus";
  export interface Params {
    state: ServerState;
    /** One line for the status bar tooltip. */
    detail: string;
  }
}
