/**
 * The last metrics body, reused for `ttlMs` (docs/metrics.md): a scrape renders the whole status
 * of every group, and anyone who can reach the port can scrape in a loop, so the render runs at
 * most once per TTL however many requests come. Prometheus scrapes every 10–60 s: a 1 s TTL is
 * invisible to it. A failed render is not cached (the next request tries again). Pure: the
 * caller passes the clock (monotonic ms).
 */

/** How long a rendered body is reused. */
export const METRICS_CACHE_TTL_MS = 1_000;

/** One cached body. */
export class RenderCache {
  private body: string | undefined;
  private renderedAt = 0;

  constructor(
    private readonly render: () => string,
    private readonly now: () => number,
    private readonly ttlMs: number = METRICS_CACHE_TTL_MS,
  ) {}

  /** The body: the cached one while younger than the TTL, else a fresh render (which may throw). */
  get(): string {
    const now = this.now();
    if (this.body !== undefined && now - this.renderedAt < this.ttlMs && now >= this.renderedAt) return this.body;
    const body = this.render();
    this.body = body;
    this.renderedAt = now;
    return body;
  }
}
