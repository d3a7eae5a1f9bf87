// Every grad declaration is a test in VS Code's Test Explorer. Automatic
// checks after edits report into it, and running a test checks that grad now.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { CheckGradientsRequest, type AnalysisSummaryNotification, type CheckResults } from "../../server/src/protocol";

export class GradientTests implements vscode.Disposable {
  private readonly controller = vscode.tests.createTestController("optim.gradients", "Optim gradients");
  private readonly disposables: vscode.Disposable[] = [this.controller];

  constructor(private readonly client: LanguageClient) {
    this.controller.createRunProfile("Check gradient", vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token), true);
  }

  /** Keeps one test item per grad of a document, from the server's summary. */
  updateDocument(summary: AnalysisSummaryNotification.Params): void {
    const uri = vscode.Uri.parse(summary.uri);
    const grads = summary.declarations.filter((declaration) => declaration.kind === "grad" && declaration.name);
    let file = this.controller.items.get(summary.uri);
    if (grads.length === 0) {
      if (file) this.controller.items.delete(summary.uri);
      return;
    }
    if (!file) {
      file = this.controller.createTestItem(summary.uri, vscode.workspace.asRelativePath(uri), uri);
      this.controller.items.add(file);
    }
    const items = grads.map((grad) => {
      const item = file.children.get(`${summary.uri}#${grad.name}`) ?? this.controller.createTestItem(`${summary.uri}#${grad.name}`, grad.name, uri);
      item.range = new vscode.Range(grad.line, 0, grad.line, 0);
      return item;
    });
    file.children.replace(items);
  }

  /** Shows a check's outcome in the Test Explorer. */
  report(results: CheckResults, run?: vscode.TestRun): void {
    const file = this.controller.items.get(results.uri);
    if (!file) return;
    const owned = run === undefined;
    const testRun = run ?? this.controller.createTestRun(new vscode.TestRunRequest(), "automatic gradient check", false);
    for (const grad of results.grads) {
      const item = file.children.get(`${results.uri}#${grad.name}`);
      if (!item) continue;
      // The check's own time in the worker, not the round trip of the request.
      if (grad.passed) testRun.passed(item, grad.durationMs);
      else if (grad.verdict === "unchecked") testRun.skipped(item);
      else {
        const message = new vscode.TestMessage(grad.message);
        message.location = new vscode.Location(vscode.Uri.parse(results.uri), new vscode.Range(grad.line, 0, grad.line, 0));
        testRun.failed(item, message, grad.durationMs);
      }
    }
    if (owned) testRun.end();
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(request);
    const requested: vscode.TestItem[] = [];
    if (request.include) requested.push(...request.include);
    else this.controller.items.forEach((item) => requested.push(item));
    // Group by document: a file item runs all its grads, a grad item only itself.
    for (const item of requested) {
      if (token.isCancellationRequested) break;
      const [uri, grad] = item.id.split("#");
      const targets = grad ? [item] : [...collect(item)];
      targets.forEach((target) => run.started(target));
      try {
        const params: CheckGradientsRequest.Params = { uri, ...(grad ? { grad } : {}) };
        const results = await this.client.sendRequest<CheckGradientsRequest.Result>(CheckGradientsRequest.method, params, token);
        if (results.note) targets.forEach((target) => run.errored(target, new vscode.TestMessage(results.note as string)));
        else this.report(results, run);
      } catch (failure) {
        targets.forEach((target) => run.errored(target, new vscode.TestMessage(failure instanceof Error ? failure.message : String(failure))));
      }
    }
    run.end();
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function* collect(item: vscode.TestItem): Generator<vscode.TestItem> {
  const children: vscode.TestItem[] = [];
  item.children.forEach((child) => children.push(child));
  for (const child of children) yield child;
}
