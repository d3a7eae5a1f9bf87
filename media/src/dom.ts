// What every panel script shares: the VS Code webview API and building DOM
// from text nodes only, so names from a document can never become markup.

export interface VsCodeApi<Message> {
  postMessage(message: Message): void;
  setState(state: unknown): void;
  getState(): unknown;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown>;

/** The webview API; it can be acquired once per page. */
export function vscodeApi<Message>(): VsCodeApi<Message> {
  return acquireVsCodeApi() as VsCodeApi<Message>;
}

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}
