/**
 * The project's simulator over real Modbus TCP and a heatwatch service polling it, with SQLite
 * stores in a temporary folder, started and waited for until every station is online.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfigText } from '../../src/config/load.ts';
import type { ResolvedConfig } from '../../src/config/resolve.ts';
import { startService, type Service, type ServiceOptions } from '../../src/service.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulators/index.ts';
import { waitFor } from './wait.ts';

export interface SimService {
  sim: Simulator;
  svc: Service;
  dir: string;
  stop(): Promise<void>;
}

export async function startSimService(o: {
  sim: SimulatorOptions;
  pollMs: number;
  /** the temporary folder's name prefix */
  name: string;
  /** edits the generated config YAML before it is parsed */
  yaml?: (text: string) => string;
  /** edits the parsed config before the service starts */
  configure?: (cfg: ResolvedConfig) => void;
  /** the service's clock, given the simulator (the model's time in fast-time tests) */
  now?: (sim: Simulator) => () => number;
  /** runs after the service starts, before waiting for the stations */
  started?: (svc: Service, sim: Simulator) => void;
}): Promise<SimService> {
  const dir = mkdtempSync(join(tmpdir(), `heatwatch-${o.name}-`));
  const sim = await startSimulator({ modbusPort: 0, controlPort: 0, ...o.sim });
  let svc: Service | undefined;
  const stop = async () => {
    await svc?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const text = sim.configYaml({ pollMs: o.pollMs });
    const cfg = parseConfigText(o.yaml ? o.yaml(text) : text, o.name);
    cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    o.configure?.(cfg);
    const opts: ServiceOptions = { logger: pino({ level: 'silent' }), listen: false, ...(o.now ? { now: o.now(sim) } : {}) };
    svc = await startService(cfg, opts);
    o.started?.(svc, sim);
    const s = svc;
    await waitFor(async () => (await s.app.inject({ url: '/api/stations', headers: { authorization: 'Bearer demo-read' } })).json().every((x: { comm: string }) => x.comm === 'online'), 15_000, 'all stations online');
    return { sim, svc: s, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
