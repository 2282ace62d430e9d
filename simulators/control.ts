import Fastify, { type FastifyInstance } from 'fastify';
import { FAULTS, isFault, type Fault } from './model.ts';

/** What the control API needs from a running simulator. */
export interface ControlTarget {
  stations: Array<{ index: number; id: string; name: string; area: string; host: string; port: number; unit: number }>;
  setFault(stationId: string, fault: Fault, active: boolean): void;
  faults(): Array<{ station: string; fault: Fault }>;
}

function badRequest(field: string, message: string) {
  return { error: 'bad_request', field, message: `${field}: ${message}` };
}

/**
 * The simulator's control API (DESIGN §4); returns the app without listening.
 * - `GET /stations` — stations with endpoints and active faults
 * - `GET /faults` — active faults
 * - `POST /faults` `{ station, fault, active }` — 400 naming the bad field, 404 unknown station
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
        faults: active.get(s.id) ?? [],
      })),
    };
  });

  app.get('/faults', async () => ({ faults: sim.faults() }));

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

  return app;
}
