/**
 * Property tests of Modbus replies: a scripted peer on a real socket (modbus-peer.ts) answers
 * the client and the adapter with valid, truncated, mislabelled, mis-sized and random frames.
 * Properties: a read yields the data of a valid reply to that very request or a ModbusError,
 * within its timeout; the adapter emits bad samples (counted as errors) or values of valid
 * replies, never a value from a malformed one, and polls on until the peer behaves again.
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ModbusError, ModbusTcpClient } from '../../src/adapters/modbus/client.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { ModbusDeviceSpec } from '../../src/config/resolve.ts';
import { ModbusAdapter } from '../../src/adapters/modbus/adapter.ts';
import type { Sample } from '../../src/model.ts';
import { waitFor } from '../helpers/wait.ts';
import { BITS, poisoned, replyArb, startPeer, validData, WORDS, type Peer } from './modbus-peer.ts';
import { SEED } from './seed.ts';

const TIMEOUT_MS = 100;
const FINAL = { words: [1, 2, 3, 4], bits: [true, false, true, false, false, false, false, false] };

/** Rejects when `p` has not settled within `ms`: a hang is a failure, not a slow test. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no outcome after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

type Outcome = { ok: true; data: Array<number | boolean> } | { ok: false; err: unknown };

describe('Modbus client against malformed replies', () => {
  it('resolves only with the data of a valid reply to the request in flight, else rejects with a ModbusError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { minLength: 1, maxLength: 6 }), async (script) => {
        const peer = await startPeer(script, FINAL);
        const c = new ModbusTcpClient();
        try {
          // a connection on which a reply ran on past its frame may misread the next one: that must fail, not lie
          let clean = false;
          for (let i = 0; i <= script.length; i++) {
            const last = i === script.length;
            if (last && c.isOpen) await c.close(); // the peer behaves from here on: a fresh connection must work
            if (!c.isOpen) {
              await c.connect('127.0.0.1', peer.port, 1000);
              clean = true;
            }
            const table = i % 2 === 0 ? 'holding' : 'coil';
            const before = peer.sent.length;
            const timeout = last ? 2000 : TIMEOUT_MS;
            const read = table === 'holding' ? c.readHoldingRegisters(1, 0, WORDS, timeout) : c.readCoils(1, 0, BITS, timeout);
            const out: Outcome = await bounded(
              read.then((data) => ({ ok: true as const, data }), (err: unknown) => ({ ok: false as const, err })),
              timeout + 1000,
              `read ${i}`,
            );
            const reply = peer.sent[before]?.reply;
            const valid = reply ? validData(reply) : null;
            if (out.ok) {
              expect(valid, `read ${i} resolved on a ${reply?.k} reply`).not.toBeNull();
              expect(out.data).toEqual(table === 'holding' ? valid!.words : valid!.bits);
            } else {
              expect(out.err, String(out.err)).toBeInstanceOf(ModbusError);
              // a loaded machine may miss the short timeout: only a timeout excuses a valid reply
              const kind = (out.err as ModbusError).kind;
              if (clean && valid && kind !== 'timeout') throw new Error(`read ${i}: a valid ${reply!.k} reply on a clean connection failed: ${String(out.err)}`);
              if (reply?.k === 'exception' && clean && kind !== 'timeout') expect(kind).toBe('exception');
              // what the adapter's endpoint does: only an exception keeps the connection
              if (kind !== 'exception') await c.close();
            }
            if (reply?.k === 'trailing') clean = false;
            if (last) expect(out).toEqual({ ok: true, data: table === 'holding' ? FINAL.words : FINAL.bits });
          }
        } finally {
          await c.close();
          await peer.stop();
        }
      }),
      { seed: SEED, numRuns: 80 },
    );
  }, 90_000);
});

/** One device: four uint16 registers and eight coils, so each poll sends two requests. */
function device(port: number): ModbusDeviceSpec {
  const points = [
    ...Array.from({ length: WORDS }, (_, i) => `{ id: w${i}, table: holding, address: ${i}, type: uint16 }`),
    ...Array.from({ length: BITS }, (_, i) => `{ id: c${i}, table: coil, address: ${i}, type: bool }`),
  ];
  const cfg = parseConfigText(`stations:\n  - id: fz-1\n    devices:\n      - { id: plc, endpoint: "modbus+tcp://127.0.0.1:${port}", points: [ ${points.join(', ')} ] }\n`, 'fuzz');
  const d = cfg.stations[0].devices[0] as ModbusDeviceSpec;
  // below the config's minimum: the test wants many polls in little time
  return { ...d, pollMs: 50, timeoutMs: TIMEOUT_MS };
}

const value = (b: Sample[], id: string) => b.find((s) => s.point === `fz-1.plc.${id}`)?.value;

describe('Modbus adapter against malformed replies', () => {
  it('emits bad samples or values of valid replies, counts every failed poll, and polls on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { minLength: 1, maxLength: 5 }), async (script) => {
        const peer: Peer = await startPeer(script, FINAL);
        const batches: Sample[][] = [];
        const a = new ModbusAdapter({ devices: [device(peer.port)], sink: { samples: (b) => void batches.push(b), status: () => {} }, logger: pino({ level: 'silent' }) });
        try {
          await a.start();
          const finalSeen = () =>
            batches.some((b) => b.every((s) => s.quality === 'good') && FINAL.words.every((w, i) => value(b, `w${i}`) === w) && FINAL.bits.every((x, i) => value(b, `c${i}`) === x));
          // reconnect backoff doubles per dropped connection (500 ms up): five drops in a row take ~8 s
          await waitFor(() => peer.script.length === 0 && finalSeen(), 20_000, 'a good poll after the script', { everyMs: 10 });
          const validWords = new Set(peer.sent.map((s) => validData(s.reply)).filter((d) => d !== null).map((d) => d.words.join(',')));
          validWords.add(FINAL.words.join(','));
          for (const b of batches) {
            for (const s of b) {
              if (s.quality !== 'good') expect(s.value, `${s.point} bad but with a value`).toBeNull();
              else {
                expect(poisoned.word(s.value) || (s.point.endsWith(`c${BITS - 1}`) && poisoned.lastBit(s.value)), `${s.point} = ${String(s.value)} from a malformed reply`).toBe(false);
              }
            }
            if (b.every((s) => s.quality === 'good')) {
              const words = Array.from({ length: WORDS }, (_, i) => value(b, `w${i}`)).join(',');
              expect(validWords.has(words), `registers ${words} were in no valid reply`).toBe(true);
            }
          }
          const [n] = a.counters();
          expect(n.polls).toBe(batches.length);
          expect(n.errors).toBe(batches.filter((b) => b.every((s) => s.quality === 'bad')).length);
        } finally {
          await a.stop();
          await peer.stop();
        }
      }),
      { seed: SEED, numRuns: 12 },
    );
  }, 90_000);
});
