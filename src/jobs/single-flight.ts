/** One run per key at a time: a caller who asks while one is running joins it instead of starting another. */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, start: () => Promise<T>): Promise<T> {
    const running = this.running.get(key);
    if (running) return running;
    const work = start();
    this.running.set(key, work);
    const done = () => {
      if (this.running.get(key) === work) this.running.delete(key);
    };
    work.then(done, done);
    return work;
  }

  has(key: string): boolean {
    return this.running.has(key);
  }
}
