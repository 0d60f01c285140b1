// Up to `size` independent tasks at once: add() waits while the window is
// full; the first failure is thrown (by add() or drain()), and drain()
// returns only once every started task has settled.
export class TaskWindow {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly size: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    const promise = task().catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise));
    while (this.running.size >= this.size) await Promise.race(this.running);
    this.throwIfFailed();
  }

  /** Settles once every task started so far has (never throws). */
  async settledSoFar(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /** Waits for everything started; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
    while (this.running.size) await Promise.allSettled([...this.running]);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
