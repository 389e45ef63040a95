/**
 * Counts uses per key in fixed windows shared by every key (all counts start
 * over together), so memory is one number per key seen in the current
 * window, and at most `maxKeys` of them: past that, the oldest key is
 * forgotten. Cheap enough for every request: one map lookup.
 */
export class FixedWindowCounter {
  private windowEnd = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one use of `key`: 0 when it is within the limit, else the seconds until the window ends. */
  take(key: string): number {
    const now = this.now();
    if (now >= this.windowEnd) {
      this.counts.clear();
      this.windowEnd = now + this.windowMs;
    }
    const used = this.counts.get(key) ?? 0;
    if (used >= this.limit) return Math.max(1, Math.ceil((this.windowEnd - now) / 1000));
    if (used === 0 && this.counts.size >= this.maxKeys) this.counts.delete(this.counts.keys().next().value as string);
    this.counts.set(key, used + 1);
    return 0;
  }
}
