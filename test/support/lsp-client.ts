// Starts the real server bundle as a child process and speaks JSON-RPC to it
// over stdio, the way an editor other than VS Code would.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { repoRoot } from "./fixtures";

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Array<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; message: string; severity?: number; code?: string | number; source?: string }>;
}

export class LspTestClient {
  readonly connection: MessageConnection;
  private readonly process: ChildProcessWithoutNullStreams;
  private readonly notifications: Array<{ method: string; params: unknown }> = [];
  /** Requests the server sent to the client (window/workDoneProgress/create and others), answered with null. */
  readonly serverRequests: Array<{ method: string; params: unknown }> = [];
  private readonly waiters: Array<{ method: string; accept: (params: unknown) => boolean; resolve: (params: unknown) => void }> = [];
  stderr = "";
  /** The methods of the requests the server sent, in order (such as workspace/codeLens/refresh). */

  /** `env` is added to this process's environment for the server. */
  constructor(options: { env?: Record<string, string> } = {}) {
    this.process = spawn(process.execPath, [join(repoRoot, "dist", "server.js"), "--stdio"], { stdio: "pipe", env: { ...process.env, ...options.env } });
    this.process.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.died = new Promise<never>((_, reject) => {
      this.process.once("error", (error) => reject(new Error(`the server did not start: ${error.message}`)));
      this.process.once("exit", (code) => reject(new Error(`the server exited with code ${code}; stderr: ${this.stderr}`)));
    });
    this.died.catch(() => undefined);
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout), new StreamMessageWriter(this.process.stdin));
    this.connection.onNotification((method: string, params: unknown) => {
      this.notifications.push({ method, params });
      for (const waiter of [...this.waiters]) {
        if (waiter.method === method && waiter.accept(params)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(params);
        }
      }
    });
    // $/progress does not reach onNotification: the connection routes it by token.
    this.connection.onUnhandledProgress((params) => this.notifications.push({ method: "$/progress", params }));
    this.connection.onRequest((method: string, params: unknown) => {
      this.serverRequests.push({ method, params });
      return null;
    });
    this.connection.listen();
  }

  /** Rejects when the server process fails to start or exits. */
  private readonly died: Promise<never>;

  /** `initializationOptions` are the server's settings, as the VS Code client sends them; `capabilities` the client's, by default few. */
  async initialize(initializationOptions?: Record<string, unknown>, capabilities: Record<string, unknown> = { textDocument: { publishDiagnostics: { versionSupport: true } } }): Promise<unknown> {
    const result = await Promise.race([this.died, this.connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: null,
      capabilities,
      initializationOptions,
    })]);
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  /** Resolves with the first notification (already received or future) that matches. */
  waitFor<T>(method: string, accept: (params: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const seen = this.notifications.find((notification) => notification.method === method && accept(notification.params as T));
    if (seen) return Promise.resolve(seen.params as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} notification within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        method,
        accept: (params) => accept(params as T),
        resolve: (params) => {
          clearTimeout(timer);
          resolve(params as T);
        },
      });
    });
  }

  /** Every notification of this method received so far, in order. */
  received<T>(method: string): T[] {
    return this.notifications.filter((notification) => notification.method === method).map((notification) => notification.params as T);
  }

  /** Forgets the notifications received so far (a long fuzz run would otherwise keep them all). */
  forgetReceived(): void {
    this.notifications.length = 0;
  }

  diagnosticsFor(uri: string, version: number): Promise<PublishedDiagnostics> {
    return this.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.version === version);
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "optim", version, text } });
  }

  change(uri: string, version: number, text: string): Promise<void> {
    return this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async shutdown(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.process.once("exit", (code) => resolve(code)));
    await this.connection.sendRequest("shutdown");
    await this.connection.sendNotification("exit");
    const code = await exited;
    this.connection.dispose();
    return code;
  }

  kill(): void {
    this.process.kill();
  }

  /** True while the server process runs. */
  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The server process's id. */
  get pid(): number | undefined {
    return this.process.pid;
  }
}
