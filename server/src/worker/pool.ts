// The compute worker as seen from the language server: one worker thread
// that runs checks off the main thread, a shared array for cancellation, and
// a restart when the worker dies. A job that was running when it died is
// answered with a failure that says so, the pool reports the death, and the
// server goes on. The worker's heap can be capped, so a job that needs too
// much memory ends the worker, not the server.
import { Worker } from "node:worker_threads";
import type { BackendName, BackendPreference } from "../train/executors";
import type { TrialProgress } from "../train/search";
import type { CurvePoint } from "../train/trainer";
import type { PreviewDataRequest } from "../protocol";
import type { CheckJob, FromWorker, PreviewJob, TrainJob, TrainOutcome } from "./messages";

const slots = 64;

export type JobOutcome = Extract<FromWorker, { type: "result" } | { type: "failed" }>;

interface Pending {
  job: CheckJob;
  resolve: (outcome: JobOutcome) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface PoolOptions {
  /** The worker's heap (V8 old generation) in megabytes; past it the worker dies and the pool reports it. */
  heapMegabytes?: number;
}

export class ComputePool {
  private worker: Worker | undefined;
  private options: PoolOptions = {};
  private readonly cancelFlags = new Int32Array(new SharedArrayBuffer(slots * 4));
  private readonly pending = new Map<number, Pending>();
  private readonly backendRequests = new Map<number, (answer: { backend: BackendName; notes: string[] }) => void>();
  private readonly previews = new Map<number, (result: PreviewDataRequest.Result) => void>();
  private readonly trainings = new Map<number, { slot: number; resolve: (outcome: TrainOutcome) => void; onPoints: (points: CurvePoint[]) => void; onTrial?: (progress: TrialProgress) => void; run: string }>();
  private nextId = 1;
  private restarts = 0;

  /** `onStopped` hears, in a sentence, each time the worker dies. */
  constructor(
    private readonly workerPath: string,
    private readonly log: (message: string) => void,
    private readonly onStopped: (message: string) => void = () => undefined,
  ) {}

  /** Options for the next worker started (the running one, if any, keeps its own). */
  configure(options: PoolOptions): void {
    this.options = { ...options };
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const heap = this.options.heapMegabytes;
    const worker = new Worker(this.workerPath, { workerData: { cancelFlags: this.cancelFlags }, ...(heap ? { resourceLimits: { maxOldGenerationSizeMb: heap } } : {}) });
    let failure: (Error & { code?: string }) | undefined;
    worker.on("message", (message: FromWorker) => this.receive(message));
    worker.on("error", (error: Error & { code?: string }) => {
      failure = error;
      this.log(`compute worker error: ${error.stack ?? error.message}`);
    });
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.restarts++;
      const why = failure?.code === "ERR_WORKER_OUT_OF_MEMORY" ? `ran out of memory${heap ? ` (its heap is limited to ${heap} MB)` : ""}` : `stopped (exit code ${code}${failure ? `: ${failure.message}` : ""})`;
      this.log(`compute worker ${why}; it restarts with the next job`);
      const jobs = this.pending.size + this.trainings.size + this.previews.size;
      this.onStopped(`The compute worker ${why}${jobs > 0 ? ` during ${jobs === 1 ? "a job" : `${jobs} jobs`}` : ""}; it restarts with the next job.`);
      for (const [id, entry] of this.pending) entry.resolve({ type: "failed", id, message: `the compute worker ${why} while checking; it restarts with the next check` });
      this.pending.clear();
      for (const training of this.trainings.values()) training.resolve({ run: training.run, status: "failed", message: `the compute worker ${why} during the run; the curve so far is saved in its folder` });
      this.trainings.clear();
      for (const resolve of this.previews.values()) resolve({ name: "", problem: `the compute worker ${why}`, splits: [] });
      this.previews.clear();
    });
    this.worker = worker;
    return worker;
  }

  private receive(message: FromWorker): void {
    if (message.type === "trainProgress") {
      this.trainings.get(message.id)?.onPoints(message.points);
      return;
    }
    if (message.type === "trialProgress") {
      this.trainings.get(message.id)?.onTrial?.(message.progress);
      return;
    }
    if (message.type === "trained") {
      const training = this.trainings.get(message.id);
      this.trainings.delete(message.id);
      if (training) Atomics.store(this.cancelFlags, training.slot, 0);
      training?.resolve(message.outcome);
      return;
    }
    if (message.type === "preview") {
      this.previews.get(message.id)?.(message.result);
      this.previews.delete(message.id);
      return;
    }
    if (message.type === "backend") {
      this.backendRequests.get(message.id)?.({ backend: message.backend, notes: message.notes });
      this.backendRequests.delete(message.id);
      return;
    }
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (message.type === "progress") {
      entry.onProgress?.(message.done, message.total);
      return;
    }
    this.pending.delete(message.id);
    Atomics.store(this.cancelFlags, entry.job.slot, 0);
    entry.resolve(message);
  }

  /** Runs a job; the returned handle cancels it. */
  run(job: Omit<CheckJob, "type" | "id" | "slot">, onProgress?: (done: number, total: number) => void): { id: number; outcome: Promise<JobOutcome>; cancel(): void } {
    const id = this.nextId++;
    const slot = id % slots;
    Atomics.store(this.cancelFlags, slot, 0);
    const full: CheckJob = { ...job, type: "check", id, slot };
    const outcome = new Promise<JobOutcome>((resolve) => this.pending.set(id, { job: full, resolve, onProgress }));
    this.ensureWorker().postMessage(full);
    return { id, outcome, cancel: () => Atomics.store(this.cancelFlags, slot, 1) };
  }

  /** Runs a training job; the handle cancels it. */
  train(job: Omit<TrainJob, "type" | "id" | "slot">, onPoints: (points: CurvePoint[]) => void, onTrial?: (progress: TrialProgress) => void): { outcome: Promise<TrainOutcome>; cancel(): void } {
    const id = this.nextId++;
    const slot = id % slots;
    Atomics.store(this.cancelFlags, slot, 0);
    const outcome = new Promise<TrainOutcome>((resolve) => this.trainings.set(id, { slot, resolve, onPoints, onTrial, run: job.run }));
    this.ensureWorker().postMessage({ ...job, type: "train", id, slot } satisfies TrainJob);
    return { outcome, cancel: () => Atomics.store(this.cancelFlags, slot, 1) };
  }

  /** Reads a data set for the preview panel. */
  preview(job: Omit<PreviewJob, "type" | "id">): Promise<PreviewDataRequest.Result> {
    const id = this.nextId++;
    const result = new Promise<PreviewDataRequest.Result>((resolve) => this.previews.set(id, resolve));
    this.ensureWorker().postMessage({ ...job, type: "preview", id } satisfies PreviewJob);
    return result;
  }

  /** Starts TensorFlow.js in the worker and reports which backend it chose. */
  backend(preference: BackendPreference): Promise<{ backend: BackendName; notes: string[] }> {
    const id = this.nextId++;
    const answer = new Promise<{ backend: BackendName; notes: string[] }>((resolve) => this.backendRequests.set(id, resolve));
    this.ensureWorker().postMessage({ type: "backend", id, preference });
    return answer;
  }

  /** How often the worker had to be restarted. */
  get restartCount(): number {
    return this.restarts;
  }

  /** Stops the worker thread (a test uses it to check recovery). */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }
}
