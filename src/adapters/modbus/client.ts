/**
 * The one place that touches modbus-serial: a typed Modbus TCP client with classified errors.
 *
 * Transaction safety (checked in modbus-serial 8.0.25, `index.js` / `ports/tcpport.js`): every
 * request gets an MBAP transaction id (0..255, wrapping) and replies are looked up by that id,
 * but completed transactions stay in its map, so a stray or late reply carrying an old id calls
 * the old callback again (found by tests/adapters/modbus/client.test.ts). This wrapper therefore
 * (1) accepts a reply only when its id is the id of the request in flight, (2) does not
 * reuse the id of a timed-out request for 60 s, so its late answer cannot pass for a new
 * request's reply after the ids wrap, and (3) refuses a reply whose byte count is not the one
 * the request asked for (modbus-serial checks unit id, function code and frame length, but
 * decodes as many values as the byte count says). The adapter also drops a connection after a
 * timeout when nothing on it answers, and after any malformed reply (framing lost).
 *
 * One request at a time per client: callers serialise (the adapter keeps a queue per endpoint).
 *
 * @example
 * const c = new ModbusTcpClient();
 * await c.connect('127.0.0.1', 5020, 2000);
 * const words = await c.readHoldingRegisters(1, 0, 10, 2000);
 * await c.close();
 */
import M from 'modbus-serial';
import type { ModbusTable } from './plan.ts';

// modbus-serial is CommonJS; its .d.ts claims a default export.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ModbusRTU = ((M as any).default ?? M) as new () => RawClient;

/** `buffer` is the reply's data bytes as its byte count field gives them (cut at the frame's end). */
type RawCallback = (err: (Error & { modbusCode?: number; errno?: string }) | null, res?: { data: Array<number | boolean>; buffer?: Buffer }) => void;

/** The subset of modbus-serial's client used here. */
interface RawClient {
  _timeout: number | null;
  /** the TCP port: MBAP transaction id of the next request / of the reply being handled */
  _port: { _transactionIdWrite: number; _transactionIdRead: number };
  isOpen: boolean;
  connectTCP(ip: string, options: { port: number }, next: (err?: Error | null) => void): void;
  writeFC1(unit: number, addr: number, count: number, next: RawCallback): void;
  writeFC2(unit: number, addr: number, count: number, next: RawCallback): void;
  writeFC3(unit: number, addr: number, count: number, next: RawCallback): void;
  writeFC4(unit: number, addr: number, count: number, next: RawCallback): void;
  destroy(cb: () => void): void;
  on(ev: 'close', fn: () => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
}

/** How long the id of a timed-out request stays unused, so its late reply cannot match a new request. */
const QUARANTINE_MS = 60_000;

export type ModbusErrorKind = 'timeout' | 'closed' | 'exception' | 'protocol' | 'connect' | 'not_connected';

/** Modbus exception codes and their names. */
export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** A classified failure: `exception 2 (illegal data address)`, `timeout after 2000 ms`, ... */
export class ModbusError extends Error {
  readonly kind: ModbusErrorKind;
  /** Modbus exception code when kind is 'exception' */
  readonly code?: number;
  constructor(kind: ModbusErrorKind, message: string, code?: number) {
    super(message);
    this.name = 'ModbusError';
    this.kind = kind;
    if (code !== undefined) this.code = code;
  }
}

/** Maps a modbus-serial / socket error to a {@link ModbusError}. */
export function classifyError(err: unknown, timeoutMs: number): ModbusError {
  if (err instanceof ModbusError) return err;
  const e = err as { message?: string; modbusCode?: number; errno?: string; code?: string; name?: string };
  const msg = e?.message ?? String(err);
  if (typeof e?.modbusCode === 'number') {
    const name = EXCEPTION_NAMES[e.modbusCode] ?? 'unknown exception';
    return new ModbusError('exception', `exception ${e.modbusCode} (${name})`, e.modbusCode);
  }
  if (e?.name === 'TransactionTimedOutError' || msg === 'Timed out' || e?.errno === 'ETIMEDOUT') {
    return new ModbusError('timeout', `timeout after ${timeoutMs} ms`);
  }
  if (e?.name === 'PortNotOpenError' || msg === 'Port Not Open') return new ModbusError('not_connected', 'not connected');
  if (/Data length error|Unexpected data error|CRC error/.test(msg)) return new ModbusError('protocol', `malformed reply: ${msg}`);
  if (e?.code === 'ECONNREFUSED') return new ModbusError('connect', 'connection refused');
  if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE') return new ModbusError('closed', `connection closed (${e.code})`);
  return new ModbusError('protocol', msg);
}

/** `bytes`: the reply's data bytes (what the adapter decodes from, without a values array per point) */
export type ReadCallback = (err: ModbusError | null, data: Array<number | boolean> | null, bytes?: Buffer | null) => void;

export class ModbusTcpClient {
  private raw: RawClient | null = null;
  private pending: ReadCallback | null = null;
  private pendingTimeout = 0;
  private pendingTid = -1;
  /** the byte count a valid reply to the request in flight carries */
  private pendingBytes = 0;
  /** transaction ids whose request timed out → ms until which they are not reused */
  private readonly quarantined = new Map<number, number>();
  private closeHandler: ((err: ModbusError) => void) | null = null;
  /** reply handler of the current connection (one per connection, so a stale timer of an old one is ignored) */
  private onRaw: RawCallback = () => {};

  get isOpen(): boolean {
    return this.raw !== null && this.raw.isOpen;
  }

  /** Called once when an open connection closes or fails (not after {@link close}). */
  onClose(handler: (err: ModbusError) => void): void {
    this.closeHandler = handler;
  }

  /** Opens the TCP connection; rejects with kind 'connect' (refused, unreachable, timeout). */
  connect(host: string, port: number, timeoutMs: number): Promise<void> {
    this.destroyRaw();
    this.quarantined.clear();
    const raw = new ModbusRTU();
    this.raw = raw;
    this.onRaw = (err, res) => {
      const cb = this.pending;
      // connection replaced or request already failed (closed): ignore whatever modbus-serial reports late
      if (this.raw !== raw || !cb) return;
      const e = err ? classifyError(err, this.pendingTimeout) : null;
      // modbus-serial keeps completed transactions in its map and calls their callback again for
      // a stray reply with an old id (e.g. the late answer to a timed-out request after the ids
      // wrapped): only the reply carrying the id of the request in flight is ours.
      if (e?.kind !== 'timeout' && raw._port._transactionIdRead !== this.pendingTid) return;
      this.pending = null;
      if (e) {
        if (e.kind === 'timeout') this.quarantined.set(this.pendingTid, Date.now() + QUARANTINE_MS);
        cb(e, null);
        return;
      }
      // a wrong byte count gives too few values, or words read from the CRC (found by
      // tests/fuzz/modbus-replies.test.ts)
      const bytes = res?.buffer?.length;
      if (bytes !== this.pendingBytes) cb(new ModbusError('protocol', `malformed reply: byte count ${bytes ?? '?'}, expected ${this.pendingBytes}`), null);
      else cb(null, res?.data ?? [], res?.buffer ?? null);
    };
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        this.destroyRaw();
        reject(new ModbusError('connect', `connect timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      raw.on('error', () => {
        /* socket errors surface through the connect callback or the close event */
      });
      raw.on('close', () => {
        if (this.raw !== raw) return;
        this.raw = null;
        raw.destroy(() => {}); // cancels modbus-serial's pending transaction timers
        const cb = this.pending;
        this.pending = null;
        const err = new ModbusError('closed', 'connection closed');
        if (cb) cb(err, null);
        this.closeHandler?.(err);
      });
      raw.connectTCP(host, { port }, (err) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) {
          if (this.raw === raw) this.raw = null;
          const code = (err as { code?: string }).code;
          reject(new ModbusError('connect', code === 'ECONNREFUSED' ? 'connection refused' : err.message || String(code)));
        } else resolve();
      });
    });
  }

  /**
   * Reads `count` registers (words, uint16) or bits (booleans) of `table` at `addr` from `unit`.
   * Calls `cb` exactly once. Callback style so the hot path can pass one pre-bound function.
   */
  read(table: ModbusTable, unit: number, addr: number, count: number, timeoutMs: number, cb: ReadCallback): void {
    const raw = this.raw;
    if (!raw || !raw.isOpen) {
      cb(new ModbusError('not_connected', 'not connected'), null);
      return;
    }
    if (this.pending) {
      cb(new ModbusError('protocol', 'a request is already in flight on this connection'), null);
      return;
    }
    this.pending = cb;
    this.pendingTimeout = timeoutMs;
    this.pendingTid = this.nextTid(raw);
    this.pendingBytes = isBits(table) ? Math.ceil(count / 8) : 2 * count;
    raw._timeout = timeoutMs;
    if (table === 'holding') raw.writeFC3(unit, addr, count, this.onRaw);
    else if (table === 'input') raw.writeFC4(unit, addr, count, this.onRaw);
    else if (table === 'coil') raw.writeFC1(unit, addr, count, this.onRaw);
    else raw.writeFC2(unit, addr, count, this.onRaw);
  }

  readCoils(unit: number, addr: number, count: number, timeoutMs = 2000): Promise<boolean[]> {
    return this.readAsync('coil', unit, addr, count, timeoutMs) as Promise<boolean[]>;
  }
  readDiscreteInputs(unit: number, addr: number, count: number, timeoutMs = 2000): Promise<boolean[]> {
    return this.readAsync('discrete', unit, addr, count, timeoutMs) as Promise<boolean[]>;
  }
  readHoldingRegisters(unit: number, addr: number, count: number, timeoutMs = 2000): Promise<number[]> {
    return this.readAsync('holding', unit, addr, count, timeoutMs) as Promise<number[]>;
  }
  readInputRegisters(unit: number, addr: number, count: number, timeoutMs = 2000): Promise<number[]> {
    return this.readAsync('input', unit, addr, count, timeoutMs) as Promise<number[]>;
  }

  private readAsync(table: ModbusTable, unit: number, addr: number, count: number, timeoutMs: number): Promise<Array<number | boolean>> {
    return new Promise((resolve, reject) => {
      this.read(table, unit, addr, count, timeoutMs, (err, data) => {
        if (err) reject(err);
        else resolve(isBits(table) ? (data as boolean[]).slice(0, count) : (data as number[]));
      });
    });
  }

  /** Picks the next MBAP transaction id, skipping ids of recent timeouts whose late reply may still come. */
  private nextTid(raw: RawClient): number {
    let tid = raw._port._transactionIdWrite;
    if (this.quarantined.size > 0) {
      const now = Date.now();
      for (let i = 0; i < 256; i++) {
        const until = this.quarantined.get(tid);
        if (until === undefined) break;
        if (until <= now) {
          this.quarantined.delete(tid);
          break;
        }
        tid = (tid + 1) % 256;
      }
      raw._port._transactionIdWrite = tid;
    }
    return tid;
  }

  /** Closes the connection; a pending request fails with kind 'closed'. No close event is sent. */
  close(): Promise<void> {
    const cb = this.pending;
    this.pending = null;
    this.destroyRaw();
    if (cb) cb(new ModbusError('closed', 'connection closed by client'), null);
    return Promise.resolve();
  }

  private destroyRaw(): void {
    const raw = this.raw;
    this.raw = null;
    if (raw) raw.destroy(() => {});
  }
}

function isBits(table: ModbusTable): boolean {
  return table === 'coil' || table === 'discrete';
}
