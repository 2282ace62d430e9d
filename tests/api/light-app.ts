/**
 * The HTTP app over a one-station config without adapters or a series store: for tests of
 * authentication, limits and /ws that need the real routes but no simulator. `push` feeds
 * samples to /ws as the ingest pipeline would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app.ts';
import { TokenAuth } from '../../src/api/auth.ts';
import type { LiveView } from '../../src/api/deps.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { IngestListener, SamplesListener } from '../../src/ingest/pipeline.ts';
import type { ResolvedConfig } from '../../src/config/resolve.ts';
import type { Sample } from '../../src/model.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SeriesStore } from '../../src/store/port.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { openTestState, TestAlarmSource } from '../tickets/helpers.ts';

export const VIEWER = 'viewer-token-0123456789';
export const VIEWER2 = 'viewer-token-abcdefghij';
export const OPERATOR = 'operator-token-0123456789';
export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

const device = (id: string) => `  - id: ${id}\n    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:5020", points: [ { id: t, table: holding, address: 0, type: float32 } ] } ]\n`;

export const LIGHT_YAML = `stations:\n${device('hs-001')}${device('hs-002')}auth:
  tokens:
    - { name: wall, token: ${VIEWER}, role: viewer }
    - { name: wall-2, token: ${VIEWER2}, role: viewer }
    - { name: desk, token: ${OPERATOR}, role: operator }
`;

export interface LightApp {
  app: FastifyInstance;
  cfg: ResolvedConfig;
  metrics: Registry;
  push(batch: Sample[]): void;
  close(): Promise<void>;
}

/**
 * `api` is YAML for the `api:` section (e.g. `{ ws: { maxClients: 2 } }`); `now` the clock of the
 * failure limit; `series` a series store for /api/series; `yaml` edits the config text.
 */
export async function lightApp(o: { api?: string; now?: () => number; series?: SeriesStore; yaml?: (text: string) => string } = {}): Promise<LightApp> {
  const dir = mkdtempSync(join(tmpdir(), 'heatwatch-light-'));
  const text = LIGHT_YAML + (o.api ? `api: ${o.api}\n` : '');
  const cfg = parseConfigText(o.yaml ? o.yaml(text) : text, 'light.yaml');
  const { stateDb, state } = await openTestState(join(dir, 'state.db'));
  const tickets = new TicketService({ db: stateDb, settings: cfg.tickets, stations: cfg.stations, source: new TestAlarmSource(), attachmentsDir: join(dir, 'attachments'), audit: (e) => state.audit(e) });
  await tickets.init();
  const listeners = new Set<SamplesListener | IngestListener>();
  const live: LiveView = {
    latest: () => undefined,
    deviceStatus: () => undefined,
    onSamples: (l) => (listeners.add(l), () => listeners.delete(l)),
    health: () => ({ status: 'ok' }),
  };
  const metrics = new Registry();
  const auth = new TokenAuth(cfg.tokens, { authFailures: cfg.api.authFailures, ...(o.now ? { now: o.now } : {}) });
  const app = await buildApp({ config: cfg, auth, live, series: o.series ?? ({} as SeriesStore), state: state.store, metrics, logger: pino({ level: 'silent' }), tickets, ...(o.now ? { now: o.now } : {}) });
  return {
    app,
    cfg,
    metrics,
    push: (b) => listeners.forEach((l) => (typeof l === 'function' ? l(b) : l.samples(b))),
    async close() {
      await app.close();
      await tickets.stop();
      await stateDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
