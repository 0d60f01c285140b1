// Results of tasks started one after another, taken back in the order they
// were started: a stream keeps several frames in work (one per core) while
// its output stays in order. A task that fails throws when it is taken.
export class OrderedResults<T> {
  private readonly queue: Promise<T>[] = [];

  get length(): number {
    return this.queue.length;
  }

  add(task: Promise<T>): void {
    task.catch(() => undefined); // thrown by takeOldest(), not reported as unhandled meanwhile
    this.queue.push(task);
  }

  /** The oldest result (throws its failure); the queue must not be empty. */
  takeOldest(): Promise<T> {
    const oldest = this.queue.shift();
    if (!oldest) throw new Error('no result to take');
    return oldest;
  }
}
