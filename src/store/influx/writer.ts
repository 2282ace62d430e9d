/**
 * Posts line protocol to influxd's `/write` (fetch keeps connections alive). The `influx`
 * client would rebuild every line from point objects; ours are built once as text.
 */

export interface WriterOptions {
  url: string;
  database: string;
  rp: string;
  username?: string;
  password?: string;
  timeoutMs: number;
  /** most lines per HTTP write */
  writeBatch: number;
  /** HTTP writes in flight per call */
  writeConcurrency: number;
}

/**
 * Below this many lines per request, spreading a call over more requests costs more (HTTP,
 * influxd's per-request work) than it wins; 10 lines of ~120 fields are ~1,200 values.
 */
export const MIN_LINES_PER_WRITE = 10;

/**
 * How many requests carry `n` lines: enough that none exceeds `writeBatch`, and up to
 * `writeConcurrency` so the pipeline's single batch in flight uses influxd's cores.
 */
export function requestsFor(n: number, writeBatch: number, writeConcurrency: number): number {
  if (n === 0) return 0;
  return Math.max(Math.ceil(n / writeBatch), Math.min(writeConcurrency, Math.ceil(n / MIN_LINES_PER_WRITE)));
}

export class LineWriter {
  private readonly endpoint: string;
  constructor(private readonly o: WriterOptions) {
    const u = new URL('/write', o.url);
    u.searchParams.set('db', o.database);
    u.searchParams.set('rp', o.rp);
    u.searchParams.set('precision', 'ms');
    if (o.username !== undefined) {
      u.searchParams.set('u', o.username);
      u.searchParams.set('p', o.password ?? '');
    }
    this.endpoint = u.toString();
  }

  /** Writes all lines; rejects if any request fails (the caller retries the whole call: a line rewritten overwrites itself). */
  async write(lines: string[]): Promise<void> {
    const n = requestsFor(lines.length, this.o.writeBatch, this.o.writeConcurrency);
    if (n === 0) return;
    const size = Math.ceil(lines.length / n);
    const bodies: string[] = [];
    for (let i = 0; i < lines.length; i += size) bodies.push(lines.slice(i, i + size).join('\n'));
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) await this.post(bodies[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.o.writeConcurrency, bodies.length) }, worker));
  }

  private async post(body: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.endpoint, { method: 'POST', body, signal: AbortSignal.timeout(this.o.timeoutMs) });
    } catch (err) {
      throw new Error(`influxdb ${this.o.database}: write: ${(err as Error).message}`, { cause: err });
    }
    if (res.status !== 204) throw new Error(`influxdb ${this.o.database}: write: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await res.arrayBuffer().catch(() => undefined);
  }
}
