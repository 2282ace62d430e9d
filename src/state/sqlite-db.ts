/**
 * The embedded state database: one SQLite file (WAL) behind the async {@link StateDb} port.
 * better-sqlite3 is synchronous, so a call is done when it returns; what the port adds is the
 * transaction scope. A transaction's `BEGIN ... COMMIT` spans awaits, so while one is open,
 * calls from other async work wait for it (they would otherwise land inside it), and calls
 * from inside it (known by an AsyncLocalStorage scope) run at once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { sqlParams, type SqlParam, type StateDb } from './db.ts';

export class SqliteStateDb implements StateDb {
  readonly dialect = 'sqlite' as const;
  readonly where: string;
  /** the file itself, for the modules that still speak better-sqlite3 directly */
  readonly raw: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly scope = new AsyncLocalStorage<symbol>();
  /** the open transaction's token, and who waits for it to end */
  private open: { token: symbol; done: Promise<void> } | null = null;

  /** a file, or a connection already open (modules not yet on the port hold it and share it) */
  constructor(path: string | Database.Database) {
    if (typeof path !== 'string') {
      this.where = path.name;
      this.raw = path;
      return;
    }
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.where = path;
    this.raw = new Database(path);
    this.raw.pragma('journal_mode = WAL');
    this.raw.pragma('synchronous = NORMAL');
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Run `fn` when no other transaction is open (or inside ours). */
  private async when<T>(fn: () => T): Promise<T> {
    while (this.open && this.scope.getStore() !== this.open.token) await this.open.done;
    return fn();
  }

  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.when(() => this.statement(sql).all(...sqlParams(params)) as T[]);
  }

  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.when(() => this.statement(sql).get(...sqlParams(params)) as T | undefined);
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return this.when(() => this.statement(sql).run(...sqlParams(params)).changes);
  }

  insert(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return this.when(() => Number(this.statement(sql).run(...sqlParams(params)).lastInsertRowid));
  }

  exec(script: string): Promise<void> {
    return this.when(() => void this.raw.exec(script));
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.open && this.scope.getStore() === this.open.token) return fn();
    while (this.open) await this.open.done;
    let end!: () => void;
    const token = Symbol('tx');
    this.open = { token, done: new Promise<void>((r) => (end = r)) };
    try {
      // IMMEDIATE: take the write lock now, so another process on the file fails here, not mid-way
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const out = await this.scope.run(token, fn);
        this.raw.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.open = null;
      end();
    }
  }

  async lock(_key: string): Promise<void> {
    // one connection, one writer: a transaction already excludes every other
  }

  async columns(table: string): Promise<string[]> {
    return (this.raw.prepare(`PRAGMA table_info(${JSON.stringify(table)})`).all() as Array<{ name: string }>).map((c) => c.name);
  }

  async close(): Promise<void> {
    while (this.open) await this.open.done;
    this.raw.close();
  }
}
