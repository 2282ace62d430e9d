// The Grafana dashboards: valid dashboard JSON with the structure Grafana provisions, and every
// InfluxQL query (panels and the station variable) returns rows from an influxd that heatwatch
// itself filled (simulator → heatwatch with storage.series.kind = influxdb).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type Simulator } from '../../simulators/index.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = join(import.meta.dirname, '..', '..', 'dashboards', 'grafana');
const DS_UID = 'heatwatch-influx';

interface Target { refId: string; query: string; rawQuery: boolean; datasource: { uid: string } }
interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: Target[]; datasource: { uid: string } }
interface Dashboard { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Array<{ name: string; query: string; multi: boolean; datasource: { uid: string } }> }; time: { from: string; to: string } }

const files = readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json'));
const dashboards = files.map((f) => [f, JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as Dashboard] as const);

/** What Grafana substitutes before sending a query to InfluxDB. */
function render(q: string, stations: string[]): string {
  return q
    .replaceAll('$timeFilter', 'time > now() - 15m')
    .replaceAll('$__interval', '10s')
    .replaceAll('$station', stations.length === 1 ? stations[0] : `(${stations.join('|')})`);
}

describe('grafana dashboard files', () => {
  it('has the two dashboards', () => {
    expect(dashboards.map(([, d]) => d.uid).sort()).toEqual(['heatwatch-overview', 'heatwatch-station']);
  });

  it.each(dashboards)('%s is dashboard JSON Grafana can provision', (_f, d) => {
    expect(typeof d.title).toBe('string');
    expect(d.schemaVersion).toBeGreaterThanOrEqual(30);
    expect(d.time).toEqual({ from: expect.any(String), to: 'now' });
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const station = d.templating.list.find((v) => v.name === 'station');
    expect(station?.query).toMatch(/^SHOW TAG VALUES FROM "raw"\."poll" WITH KEY = "station"$/);
    expect(station?.datasource.uid).toBe(DS_UID);
    for (const p of d.panels) {
      expect(p.gridPos.w).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.datasource.uid).toBe(DS_UID);
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) {
        expect(t.rawQuery).toBe(true);
        expect(t.datasource.uid).toBe(DS_UID);
        // the per-poll layout: one field per point, no "point" tag (src/store/influx/README.md)
        expect(t.query).toMatch(/FROM "raw"\."poll"/);
        expect(t.query).not.toMatch(/"point"|"v"|"q"/);
        expect(t.query).toContain('$timeFilter');
        expect(t.query).toMatch(/"station" =~ \/\^\$station\$\//);
      }
    }
  });

  it('overview has a multi-station variable; station detail covers temperatures, pressures, pumps and valve', () => {
    const overview = dashboards.find(([, d]) => d.uid === 'heatwatch-overview')![1];
    expect(overview.templating.list[0].multi).toBe(true);
    const detail = dashboards.find(([, d]) => d.uid === 'heatwatch-station')![1];
    const all = detail.panels.flatMap((p) => p.targets.map((t) => t.query)).join('\n');
    for (const p of ['t_pri_supply', 't_pri_return', 't_sec_supply', 't_sec_return', 'p_pri_supply', 'p_sec_return', 'pump1_run', 'pump2_run', 'valve_cmd', 'valve_fb']) expect(all).toContain(p);
  });

  it('provisioning YAML names the datasource uid the dashboards use and the dashboards folder', () => {
    const ds = parse(readFileSync(join(ROOT, 'provisioning', 'datasources', 'heatwatch-influxdb.yaml'), 'utf8'));
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources[0]).toMatchObject({ uid: DS_UID, type: 'influxdb', access: 'proxy' });
    const prov = parse(readFileSync(join(ROOT, 'provisioning', 'dashboards', 'heatwatch.yaml'), 'utf8'));
    expect(prov.providers[0]).toMatchObject({ type: 'file', folder: 'heatwatch' });
  });
});

describe('grafana queries against influxd filled by heatwatch', () => {
  let sim: Simulator;
  let svc: Service;
  let dir: string;
  const database = `hw_grafana_${process.pid}_${Date.now().toString(36)}`;
  const influxUrl = inject('influxUrl');
  const q = async (query: string) => {
    const r = await fetch(`${influxUrl}/query?db=${database}&epoch=ms&q=${encodeURIComponent(query)}`);
    const body = (await r.json()) as { results: Array<{ error?: string; series?: Array<{ values: unknown[][] }> }>; error?: string };
    if (body.error || body.results[0]?.error) throw new Error(`${query}: ${body.error ?? body.results[0].error}`);
    return body.results[0].series ?? [];
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'heatwatch-grafana-'));
    sim = await startSimulator({ stations: 3, seed: 3, modbusPort: 0, controlPort: 0 });
    const cfg = parseConfigText(sim.configYaml({ pollMs: 300 }), 'grafana test');
    cfg.storage.series = { kind: 'influxdb', url: influxUrl, database } as typeof cfg.storage.series;
    cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
    cfg.ingest.maxDelayMs = 100;
    svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
    // a few polls of every station stored
    await waitFor(async () => {
      const s = await q(`SELECT count("t_sec_supply") FROM "raw"."poll" WHERE time > now() - 15m GROUP BY "station"`);
      return s.length === 3 && s.every((x) => Number(x.values[0][1]) >= 3);
    }, 30_000, 'samples of every station in influxd');
    // malformed replies from one station: bad reads for the read-quality panel
    sim.setFault(sim.stations[1].id, 'garbage', true);
    await waitFor(async () => (await q(`SELECT count("@bad") FROM "raw"."poll" WHERE "@bad" != '' AND "station" = '${sim.stations[1].id}'`)).length > 0, 30_000, 'bad reads stored');
  }, 90_000);

  afterAll(async () => {
    await svc?.stop();
    await sim?.stop();
    await fetch(`${influxUrl}/query?q=${encodeURIComponent(`DROP DATABASE "${database}"`)}`, { method: 'POST' }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the station variable lists every station', async () => {
    for (const [, d] of dashboards) {
      const series = await q(d.templating.list[0].query);
      expect(series[0].values.map((v) => v[1]).sort()).toEqual(sim.stations.map((s) => s.id).sort());
    }
  });

  it.each(dashboards.flatMap(([f, d]) => d.panels.flatMap((p) => p.targets.map((t) => [`${f} #${p.id} ${t.refId} ${p.title}`, t.query, d.templating.list[0].multi] as const))))(
    '%s returns rows',
    async (_name, query, multi) => {
      const stations = multi ? sim.stations.slice(0, 2).map((s) => s.id) : [sim.stations[1].id];
      const series = await q(render(query, stations));
      expect(series.length).toBeGreaterThan(0);
      expect(series.every((s) => s.values.length > 0)).toBe(true);
      expect(series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)))).toBe(true);
    },
  );
});
