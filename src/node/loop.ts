/** A loop that runs `step`, then sleeps `delayMs()`, until `stop()` (which cuts the sleep short). */
export class PollLoop {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly step: () => Promise<unknown>,
    private readonly delayMs: () => number,
    private readonly onError: (e: unknown) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.step();
        } catch (e) {
          this.onError(e);
        }
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.delayMs());
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    })();
  }

  /** Stops the loop; resolves once the running step has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }
}
