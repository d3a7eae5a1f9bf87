// A job's time budget, polled where the job polls its cancellation flag: a
// job out of time stops the way a cancelled one does, keeping what it has,
// and afterwards says which of the two stopped it.
export class TimeBudget {
  private readonly started = performance.now();
  private exceeded = false;

  /** `ms` undefined: no budget. */
  constructor(
    private readonly ms: number | undefined,
    private readonly cancelledByUser: () => boolean = () => false,
  ) {}

  /** Polled by the job: true once it is cancelled or out of time. */
  readonly stop = (): boolean => {
    if (this.cancelledByUser()) return true;
    this.exceeded ||= this.ms !== undefined && performance.now() - this.started > this.ms;
    return this.exceeded;
  };

  /** True when the job stopped because its time ran out, not on request. */
  get ranOut(): boolean {
    return this.exceeded && !this.cancelledByUser();
  }

  /** The budget for messages: "90 s", "500 ms". */
  get text(): string {
    const ms = this.ms ?? Infinity;
    return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms)} ms`;
  }
}
