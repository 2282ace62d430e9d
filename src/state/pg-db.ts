/**
 * The shared state database: PostgreSQL behind the async {@link StateDb} port, through a `pg`
 * pool. A transaction takes one client for its whole scope (AsyncLocalStorage), so the calls of
 * a unit of work reach it whichever module makes them; calls outside any transaction take any
 * client. 64-bit integers (ms timestamps, identity keys) come back as numbers: every value the
 * state keeps is below 2^53.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { numberedPlaceholders, sqlParams, type SqlParam, type StateDb } from './db.ts';

const INT8 = 20;
const NUMERIC = 1700;

/** The URL with its password replaced, for logs and errors. */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

export interface PgStateDbOptions {
  url: string;
  /** connections in the pool */
  max?: number;
  /** a connection attempt gives up after this long */
  connectTimeoutMs?: number;
  /** a statement gives up after this long, so a stuck server cannot hold a unit of work forever */
  statementTimeoutMs?: number;
  /** shown in pg_stat_activity */
  applicationName?: string;
}

export class PgStateDb implements StateDb {
  readonly dialect = 'postgresql' as const;
  readonly where: string;
  readonly pool: pg.Pool;
  private readonly scope = new AsyncLocalStorage<pg.PoolClient>();
  /** placeholders rewritten once per statement text */
  private readonly texts = new Map<string, string>();

  constructor(o: PgStateDbOptions) {
    this.where = redactPgUrl(o.url);
    this.pool = new pg.Pool({
      connectionString: o.url,
      max: o.max ?? 8,
      connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
      statement_timeout: o.statementTimeoutMs ?? 30_000,
      application_name: o.applicationName ?? 'heatwatch',
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8 || oid === NUMERIC ? (v: string) => (v === null ? null : Number(v)) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // an idle client whose server went away must not take the process with it; the next query fails and says why
    this.pool.on('error', () => {});
  }

  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (t === undefined) {
      t = numberedPlaceholders(sql);
      this.texts.set(sql, t);
    }
    return t;
  }

  private query(sql: string, params?: readonly SqlParam[]): Promise<pg.QueryResult> {
    const client = this.scope.getStore();
    const values = sqlParams(params);
    return client ? client.query(this.text(sql), values) : this.pool.query(this.text(sql), values);
  }

  async all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async insert(sql: string, params?: readonly SqlParam[]): Promise<number> {
    const r = await this.query(`${sql} RETURNING id`, params);
    return Number(r.rows[0].id);
  }

  async exec(script: string): Promise<void> {
    const client = this.scope.getStore();
    await (client ? client.query(script) : this.pool.query(script));
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.scope.getStore()) return fn();
    const client = await this.pool.connect();
    let broken = false;
    // the pool listens for a client's errors only while it is idle: a server that goes away
    // while the client is checked out (between two statements of fn) would emit an error with
    // no listener, which takes the process down; the statement in flight fails by itself
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      try {
        const out = await this.scope.run(client, fn);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      }
    } finally {
      // a client whose connection failed mid-transaction is thrown away, not reused
      client.off('error', onError);
      client.release(broken ? true : undefined);
    }
  }

  async lock(key: string): Promise<void> {
    if (!this.scope.getStore()) throw new Error(`state lock ${key}: only inside a transaction`);
    await this.query('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
  }

  async columns(table: string): Promise<string[]> {
    const rows = await this.all<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?', [table]);
    return rows.map((r) => r.column_name);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
