import Fastify, { type FastifyInstance } from 'fastify';
import { FAULTS, FORCED_POINTS, isFault, isForcedPoint, type Fault, type ForcedPoint } from './model.ts';

/** What the control API needs from a running simulator. */
export interface ControlTarget {
  stations: Array<{ index: number; id: string; name: string; area: string; host: string; port: number; unit: number }>;
  setFault(stationId: string, fault: Fault, active: boolean): void;
  faults(): Array<{ station: string; fault: Fault }>;
  /** forces `attended` or `station_mode` as a crew would set it at the PLC (null: the model's again) */
  forcePoint?(stationId: string, point: ForcedPoint, value: number | boolean | null): void;
  /** heating type, static head and pump head per zone (what limits are derived from) */
  details?(stationId: string): { heatingType: string; staticHead: number[]; pumpHead: number[] };
  /** scheduled normal operations overlapping [fromMs, toMs), station ids in place of indexes */
  operations?(fromMs: number, toMs: number): Array<{ station: string; kind: string; fromMs: number; toMs: number }>;
  /** model time now (ms epoch) */
  now?(): number;
}

function badRequest(field: string, message: string) {
  return { error: 'bad_request', field, message: `${field}: ${message}` };
}

/**
 * The simulator's control API (DESIGN §4); returns the app without listening.
 * - `GET /stations` — stations with endpoints and active faults
 * - `GET /faults` — active faults
 * - `POST /faults` `{ station, fault, active }` — 400 naming the bad field, 404 unknown station
 * - `POST /points` `{ station, point, value }` — force `attended` (bool) or `station_mode`
 *   (0..65535) as a crew sets them at the PLC; `value: null` gives them back to the model
 * - `GET /operations?from=MS&to=MS` — scheduled normal operations (planned stops, patrols…);
 *   default the next 24 h of model time
 */
export function buildControlApp(sim: ControlTarget): FastifyInstance {
  const app = Fastify({ logger: false });
  const byId = new Map(sim.stations.map((s) => [s.id, s]));

  app.get('/stations', async () => {
    const active = new Map<string, Fault[]>();
    for (const f of sim.faults()) active.set(f.station, [...(active.get(f.station) ?? []), f.fault]);
    return {
      stations: sim.stations.map((s) => ({
        id: s.id,
        name: s.name,
        area: s.area,
        endpoint: `modbus+tcp://${s.host}:${s.port}`,
        unit: s.unit,
        ...(sim.details ? sim.details(s.id) : {}),
        faults: active.get(s.id) ?? [],
      })),
    };
  });

  app.get('/faults', async () => ({ faults: sim.faults() }));

  app.get('/operations', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const now = sim.now?.() ?? Date.now();
    const from = q.from === undefined ? now : Number(q.from);
    const to = q.to === undefined ? from + 86_400_000 : Number(q.to);
    if (!Number.isFinite(from)) return reply.code(400).send(badRequest('from', 'expected a time in ms since the epoch'));
    if (!Number.isFinite(to) || to <= from) return reply.code(400).send(badRequest('to', 'expected a time in ms since the epoch, after from'));
    if (to - from > 31 * 86_400_000) return reply.code(400).send(badRequest('to', 'at most 31 days after from'));
    return { operations: sim.operations ? sim.operations(from, to) : [] };
  });

  app.post('/faults', async (req, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reply.code(400).send(badRequest('body', 'expected a JSON object { station, fault, active }'));
    }
    if (typeof body.station !== 'string' || !body.station) return reply.code(400).send(badRequest('station', 'expected a station id string'));
    if (!isFault(body.fault)) return reply.code(400).send(badRequest('fault', `expected one of ${FAULTS.join(', ')}`));
    if (typeof body.active !== 'boolean') return reply.code(400).send(badRequest('active', 'expected true or false'));
    if (!byId.has(body.station)) {
      return reply.code(404).send({ error: 'not_found', field: 'station', message: `station: no station '${body.station}'` });
    }
    sim.setFault(body.station, body.fault, body.active);
    return { station: body.station, fault: body.fault, active: body.active, faults: sim.faults() };
  });

  app.post('/points', async (req, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reply.code(400).send(badRequest('body', 'expected a JSON object { station, point, value }'));
    }
    if (!sim.forcePoint) return reply.code(404).send({ error: 'not_found', field: 'point', message: 'point: this simulator forces no points' });
    if (typeof body.station !== 'string' || !body.station) return reply.code(400).send(badRequest('station', 'expected a station id string'));
    if (!isForcedPoint(body.point)) return reply.code(400).send(badRequest('point', `expected one of ${FORCED_POINTS.join(', ')}`));
    const v = body.value;
    const ok = v === null || (body.point === 'attended' ? typeof v === 'boolean' : Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65_535);
    if (!ok) return reply.code(400).send(badRequest('value', body.point === 'attended' ? 'expected true, false or null' : 'expected a whole number 0..65535 or null'));
    if (!byId.has(body.station)) {
      return reply.code(404).send({ error: 'not_found', field: 'station', message: `station: no station '${body.station}'` });
    }
    sim.forcePoint(body.station, body.point, v as number | boolean | null);
    return { station: body.station, point: body.point, value: v };
  });

  return app;
}
