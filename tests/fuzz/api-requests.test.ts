/**
 * Property tests of the HTTP API: every route the app documents (its OpenAPI paths) gets
 * generated path parameters, query strings, headers and bodies, from near-valid (built from the
 * route's own schema, with extreme values) to hostile (wrong types, huge strings, deep nesting,
 * `__proto__` / `constructor` keys, broken JSON and percent-encoding), with an admin token so
 * that authentication passes. Properties: never a 5xx, the service keeps answering, and nothing
 * stored afterwards holds a value of the wrong type.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { startService, type Service } from '../../src/service.ts';
import { SEED } from './seed.ts';

const TOKEN = 'fz-admin-9f3c2a7b51e04d8c';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const STATIONS = ['fz-001', 'fz-002'];

// port 1 on loopback refuses connections: the devices stay offline, nothing to poll
const YAML = `
stations:
${STATIONS.map((id) => `  - id: ${id}
    area: north
    devices: [ { id: plc, endpoint: "modbus+tcp://127.0.0.1:1", points: [ { id: t_sec_supply, table: holding, address: 0, type: float32 } ] } ]`).join('\n')}
tickets:
  addresses: [ { address: 学府路12号, station: fz-001 } ]
auth:
  tokens:
    - { name: fz-admin, token: ${TOKEN}, role: admin }
`;

type Schema = {
  type?: string | string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
};
interface Route {
  method: string;
  path: string;
  params: Array<{ name: string; in: string; schema: Schema }>;
  body?: Schema;
}

let svc: Service;
let dir: string;
let routes: Route[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-fuzz-api-'));
  const cfg = parseConfigText(YAML, 'fuzz');
  cfg.storage.series = { kind: 'sqlite', path: join(dir, 'series.db') };
  cfg.storage.state = { kind: 'sqlite', path: join(dir, 'state.db') };
  svc = await startService(cfg, { logger: pino({ level: 'silent' }), listen: false });
  await svc.app.ready();
  // the routes as documented: what clients are told they may call, with their schemas
  const spec = svc.app.swagger() as { paths: Record<string, Record<string, { parameters?: Route['params']; requestBody?: { content?: Record<string, { schema: Schema }> } }>> };
  routes = Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{(\w+)\}/g, ':$1'),
      params: op.parameters ?? [],
      ...(op.requestBody?.content?.['application/json'] ? { body: op.requestBody.content['application/json'].schema } : {}),
    })),
  );
  // something for the id routes to find
  const t = await svc.app.inject({ method: 'POST', url: '/api/tickets', headers: AUTH, payload: { description: 'seed ticket', station: 'fz-001', priority: 'P3' } });
  expect(t.statusCode).toBe(201);
});

afterAll(async () => {
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Strings that mean something to some route: ids, areas, modes, points, an address. */
const KNOWN = [...STATIONS, 'north', '1', 'P1', '学府路12号', 'fz-001.plc.t_sec_supply', 'fz-001.plc.t_sec_supply,fz-002.plc.t_sec_supply', 'in_service', 'maintenance', 'stopped', '10s', '1h'];
/** Times as the API reads them (ms epoch, ISO 8601, now-<duration>), over the whole range Date allows and past it. */
const timeish = fc.oneof(
  fc.nat().map(String),
  fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
  fc.tuple(fc.oneof(fc.nat({ max: 10_000_000 }), fc.bigInt({ min: 0n, max: 10n ** 20n })), fc.constantFrom('ms', 's', 'm', 'h', 'd', '')).map(([n, u]) => `now-${n}${u}`),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('now', '2024-13-45T99:99', '9999-12-31T23:59:59Z', '0000-01-01', '2024-01-01T00:00:00+14:00', '8640000000000000', '8640000000000001', '9000000000000000'),
);

/** Values that look right to the schema, with its extremes. */
function valid(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => valid(a, depth)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string': {
      const max = Math.min(s.maxLength ?? 300, 5000);
      const min = Math.min(s.minLength ?? 0, max);
      const re = s.pattern ? new RegExp(s.pattern) : null;
      const fits = (x: string) => x.length >= min && x.length <= max && (!re || re.test(x));
      const known = KNOWN.concat('x'.repeat(max)).filter(fits);
      const any = re ? fc.stringMatching(re, { maxLength: max }) : fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'grapheme' });
      return fc
        .oneof(...(known.length ? [{ weight: 3, arbitrary: fc.constantFrom(...known) }] : []), { weight: 2, arbitrary: timeish }, { weight: 2, arbitrary: any })
        .filter(fits);
    }
    case 'integer': {
      const min = Math.max(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -(2 ** 53)), -(2 ** 53));
      const max = Math.min(s.maximum ?? 2 ** 53, 2 ** 53);
      return fc.oneof(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }), fc.constantFrom(min, max), ...(s.maximum === undefined ? [fc.constantFrom(1e15, 8.64e15 + 1, 1e300)] : []));
    }
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? -1e308;
      const max = s.maximum ?? 1e308;
      return fc.oneof(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(max, Number.MIN_VALUE)).filter((x) => s.exclusiveMinimum === undefined || x > s.exclusiveMinimum);
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items && depth < 4 ? valid(s.items, depth + 1) : fc.string(), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)) });
    case 'object': {
      if (!s.properties || depth > 4) return fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(s.properties)) model[k] = valid(v, depth + 1);
      return fc.record(model, { requiredKeys: s.required ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf');
const hugeString = fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'ж'.repeat(n));
const deep = fc.integer({ min: 50, max: 5_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n));
const weird = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: hugeString },
  { weight: 3, arbitrary: fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -1, 0, '', ' ', '\u0000', 'NaN', 'Infinity', null, true, [], {}) },
);

/** For URLs: a few KB at most, as proxies and browsers send (a body may be far larger). */
const weirdShort = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 4_000 }).map((n) => 'ж'.repeat(n)) },
  { weight: 3, arbitrary: fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -1, 0, '', ' ', '\u0000', 'NaN', 'Infinity', null, true, [], {}) },
);

/** A value as a query or path parameter carries it (JSON for objects, some of which have no prototype). */
const text = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

/** The comm-loss alarms of the stations' devices (nothing answers on port 1). */
const ALARM_IDS = STATIONS.map((st) => `${st}.plc:comm_loss`);

/**
 * One valid request for the routes whose rules go beyond their schema (a manual ticket needs a
 * priority, a series needs a known point), so that edits of it reach the handler's own checks.
 */
const EXAMPLES: Record<string, { params?: Record<string, string[]>; query?: Record<string, string>; body?: Record<string, unknown> }> = {
  'GET /api/series': { query: { points: 'fz-001.plc.t_sec_supply', from: 'now-1h', format: 'csv' } },
  'GET /api/alarms/history': { query: { from: 'now-1d', station: 'fz-001' } },
  'GET /api/alarms/kpis': { query: { from: 'now-1d' } },
  'GET /api/tickets/addresses/lookup': { query: { address: '学府路12号 3单元' } },
  'POST /api/tickets': { body: { source: 'manual', description: 'a leak', priority: 'P2', station: 'fz-001' } },
  'GET /api/tickets': { query: { status: 'open,dispatched', priority: 'P2,P3', sort: 'deadline', q: 'leak 学府', limit: '2' } },
  'GET /api/stations/:id': { params: { id: STATIONS } },
  'GET /api/stations/:id/mode': { params: { id: STATIONS } },
  'GET /api/tickets/:id': { params: { id: ['1', '2'] } },
  'GET /api/tickets/:id/reply': { params: { id: ['1', '2'] } },
  'POST /api/tickets/:id/transition': { params: { id: ['1', '2'] }, body: { to: 'dispatched', assignee: 'crew-1' } },
  'POST /api/tickets/:id/callback': { params: { id: ['1', '2'] }, body: { reached: true, satisfied: true } },
  'POST /api/alarms/ack': { body: { station: 'fz-001', comment: 'seen' } },
  'GET /api/alarms/:id': { params: { id: ALARM_IDS } },
  'POST /api/alarms/:id/ack': { params: { id: ALARM_IDS } },
  'POST /api/alarms/:id/unshelve': { params: { id: ALARM_IDS } },
  'POST /api/alarms/:id/shelve': { params: { id: ALARM_IDS }, body: { comment: 'seen', minutes: 5 } },
  'POST /api/alarms/:id/out-of-service': { params: { id: ALARM_IDS }, body: { comment: 'repair', on: true, minutes: 60 } },
  'PUT /api/stations/:id/mode': { params: { id: STATIONS }, body: { mode: 'maintenance', comment: 'repair' } },
  'POST /api/modes': { body: { stations: ['fz-001'], mode: 'maintenance', comment: 'repair' } },
  'POST /api/planned-stops': { body: { stations: ['fz-001'], from: 1_798_761_600_000, to: 1_798_848_000_000, reason: 'pipe work' } },
};

/** Numbers as times and amounts, up to and past what a Date holds. */
const timeNumber = fc.oneof(fc.integer({ min: 0, max: 2 ** 53 }), fc.constantFrom(8.64e15, 8.64e15 + 1, -1, 1e300, 0.5, 5e-324));

/** An edit of one field: a value its schema allows (extremes included), a time, or anything. */
function editArb(props: Record<string, Schema>, junk: fc.Arbitrary<unknown>): fc.Arbitrary<[string, unknown]> {
  const names = Object.keys(props);
  // a time field gets times most often: the edges of the Date range are where handlers break
  const isTime = (k: string) => /^(from|to|until|minutes)$/.test(k);
  const byName = new Map(
    names.map((k) => [
      k,
      fc.oneof(
        { weight: isTime(k) ? 1 : 3, arbitrary: valid(props[k]) },
        { weight: isTime(k) ? 3 : 1, arbitrary: timeish },
        { weight: isTime(k) ? 2 : 1, arbitrary: timeNumber },
        { weight: isTime(k) ? 1 : 2, arbitrary: junk },
      ),
    ]),
  );
  const key = fc.oneof(
    { weight: 6, arbitrary: names.length ? fc.oneof(...names.map((k) => ({ weight: isTime(k) ? 3 : 1, arbitrary: fc.constant(k) }))) : fc.constant('x') },
    { weight: 1, arbitrary: protoKey },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  );
  return key.chain((k) => (byName.get(k) ?? junk).map((v) => [k, v] as [string, unknown]));
}

/** The entries of `base` without those at the `drop` indexes, then `edits` replacing or adding keys. */
function edited(base: Record<string, unknown>, edits: Array<[string, unknown]>, drop: number[]): Array<[string, unknown]> {
  const out = Object.entries(base).filter((_, i) => !drop.includes(i));
  for (const [k, v] of edits) {
    const at = out.findIndex(([o]) => o === k);
    if (at >= 0) out.splice(at, 1);
    out.push([k, v]);
  }
  return out;
}

const routeKey = (route: Route) => `${route.method} ${route.path}`;

/** A body's JSON text: an example or schema-shaped object with fields edited, or hostile outright. */
function bodyText(route: Route): fc.Arbitrary<string | undefined> {
  const example = EXAMPLES[routeKey(route)]?.body;
  const shaped = route.body ? valid(route.body) : fc.jsonValue({ maxDepth: 2 });
  const base = (example ? fc.oneof({ weight: 2, arbitrary: fc.constant(example as unknown) }, { weight: 1, arbitrary: shaped }) : shaped).map((b) =>
    b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {},
  );
  // JSON text with each key spelt out, so `__proto__` arrives as an own key, as a client would send it
  const near = fc
    .tuple(base, fc.array(editArb(route.body?.properties ?? {}, weird), { minLength: 0, maxLength: 2 }), fc.array(fc.nat({ max: 5 }), { maxLength: 1 }))
    .map(([b, edits, drop]) => `{${edited(b, edits, drop).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  return fc.oneof(
    { weight: 6, arbitrary: near },
    { weight: 2, arbitrary: shaped.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: weird.map((w) => JSON.stringify(w)) },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":1', 'nul', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '[', '"\\ud800"', '1e999') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A query string: an example or the route's own parameters with some edited, extras, repeats and broken escapes. */
function queryText(route: Route): fc.Arbitrary<string> {
  const named = route.params.filter((p) => p.in === 'query');
  const props = Object.fromEntries(named.map((p) => [p.name, p.schema]));
  const schema: Schema = { type: 'object', properties: props, required: named.filter((p) => (p as { required?: boolean }).required).map((p) => p.name) };
  const example = EXAMPLES[routeKey(route)]?.query;
  const shaped = named.length ? valid(schema).map((o) => o as Record<string, unknown>) : fc.constant({} as Record<string, unknown>);
  const base = example ? fc.oneof({ weight: 2, arbitrary: fc.constant(example as Record<string, unknown>) }, { weight: 1, arbitrary: shaped }) : shaped;
  const encoded = fc
    .tuple(base, fc.array(editArb(props, weirdShort), { maxLength: 3 }), fc.array(fc.nat({ max: 5 }), { maxLength: 1 }))
    .map(([b, edits, drop]) =>
      edited(b, edits, drop)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(text(v))}`)
        .join('&'),
    );
  const raw = fc.constantFrom('%', '%E0%A4%A', '%zz=1', 'a=%00', '&&&', '=', 'a=1&a=2&a=3', `x=${'%41'.repeat(2000)}`, '%C0%AF', 'constructor[prototype][polluted]=1', '__proto__[polluted]=1');
  return fc.oneof({ weight: 6, arbitrary: encoded }, { weight: 1, arbitrary: fc.tuple(encoded, raw).map(([a, b]) => (a ? `${a}&${b}` : b)) });
}

/** A request to `route`: path parameters filled in (sometimes wrongly), query, headers, body. */
function requestArb(route: Route) {
  const pathParams = route.params.filter((p) => p.in === 'path');
  const known = EXAMPLES[routeKey(route)]?.params ?? {};
  const paramValue = (p: Route['params'][number]) =>
    fc.oneof(
      ...(known[p.name] ? [{ weight: 6, arbitrary: fc.constantFrom(...known[p.name]).map(encodeURIComponent) }] : []),
      { weight: 3, arbitrary: valid(p.schema).map((v) => encodeURIComponent(text(v))) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), weirdShort.map(text)).map((v) => encodeURIComponent(v)) },
      { weight: 1, arbitrary: fc.constantFrom('1', '%', '%2F..%2F', '..', '-1', '0', '1e3', '99999999999999999999', 'fz-001', 'fz-001.plc%3Acomm_loss', 'fz-001.plc:comm_loss') },
    );
  return fc.record({
    path: fc.tuple(...pathParams.map(paramValue)).map((vals) => pathParams.reduce((p, param, i) => p.replace(`:${param.name}`, vals[i] as string), route.path)),
    query: queryText(route),
    body: bodyText(route),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'text/csv', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1') },
    ),
    lang: fc.oneof(fc.constant(undefined), fc.constantFrom('en', 'zh-CN', '*', 'en;q=0', 'x'.repeat(5000)), fc.string({ maxLength: 20 })),
    accept: fc.constantFrom(undefined, 'text/csv', 'application/json', '*/*'),
  });
}

describe('API requests under fuzzing', () => {
  it('documents every API route it serves', () => {
    const paths = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const r of ['POST /api/tickets', 'GET /api/series', 'POST /api/alarms/:id/shelve', 'PUT /api/stations/:id/mode', 'POST /api/planned-stops']) expect(paths).toContain(r);
  });

  it('no request on any route gets a 5xx, and the service keeps answering', async () => {
    // built once per route: building arbitraries (patterns, schemas) costs more than a request
    // routes with an example reach their handlers most often: they get more of the runs
    const routeArb = fc.oneof(...routes.map((route) => ({ weight: EXAMPLES[routeKey(route)] ? 3 : 1, arbitrary: requestArb(route).map((req) => ({ route, ...req })) })));
    await fc.assert(
      fc.asyncProperty(routeArb, async (r) => {
        const headers: Record<string, string> = { ...AUTH };
        if (r.lang !== undefined) headers['accept-language'] = r.lang;
        if (r.accept !== undefined) headers.accept = r.accept;
        if (r.body !== undefined && r.route.method !== 'GET') headers['content-type'] = r.contentType;
        const res = await svc.app.inject({
          method: r.route.method as 'GET',
          url: r.query ? `${r.path}?${r.query}` : r.path,
          headers,
          ...(r.body !== undefined && r.route.method !== 'GET' ? { payload: r.body } : {}),
        });
        expect(res.statusCode, `${r.route.method} ${r.path}?${r.query.slice(0, 200)} ${String(r.body).slice(0, 300)} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { seed: SEED, numRuns: 2000 },
    );
    expect((await svc.app.inject({ url: '/api/health' })).statusCode).toBe(200);
  }, 90_000);

  it('times at the edges of the Date range get a 400 naming the field, or are taken as times a Date holds', async () => {
    // the time fields of each route, edited on top of its valid example
    const timed: Array<{ key: string; fields: string[] }> = [
      { key: 'GET /api/series', fields: ['from', 'to'] },
      { key: 'GET /api/alarms/history', fields: ['from', 'to'] },
      { key: 'GET /api/alarms/kpis', fields: ['from', 'to'] },
      { key: 'PUT /api/stations/:id/mode', fields: ['from', 'until'] },
      { key: 'POST /api/modes', fields: ['from', 'until'] },
      { key: 'POST /api/planned-stops', fields: ['from', 'to'] },
      { key: 'POST /api/alarms/:id/shelve', fields: ['minutes'] },
      { key: 'POST /api/alarms/:id/out-of-service', fields: ['minutes'] },
    ];
    const value = fc.oneof(timeish, timeNumber, fc.constantFrom(-8.64e15 - 1, 8.64e15, -1e300, 1e21));
    const arb = fc.constantFrom(...timed).chain(({ key, fields }) =>
      fc.tuple(fc.constant(key), fc.array(fc.tuple(fc.constantFrom(...fields), value), { minLength: 1, maxLength: 2 })),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([key, edits]) => {
        const [method, path] = key.split(' ');
        const ex = EXAMPLES[key];
        const url = path.replace(':id', ex.params?.id?.[0] ?? '1');
        const res = ex.query
          ? await svc.app.inject({ method: 'GET', url: `${url}?${new URLSearchParams({ ...ex.query, ...Object.fromEntries(edits.map(([k, v]) => [k, String(v)])) })}`, headers: AUTH })
          : await svc.app.inject({ method: method as 'POST', url, headers: AUTH, payload: { ...ex.body, ...Object.fromEntries(edits) } });
        const what = `${key} ${JSON.stringify(edits)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect(res.statusCode, what).toBeLessThan(500);
        // a refusal says which field and why (the out-of-service route names `until` for `minutes`)
        if (res.statusCode === 400) expect(res.json().message, what).toMatch(/^(body\.|querystring\.)?(from|to|until|minutes|mode|station)\b/);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('nothing stored holds a value of the wrong type', async () => {
    const tickets = (await svc.app.inject({ url: '/api/tickets?status=all&limit=5000', headers: AUTH })).json() as Array<Record<string, unknown>>;
    expect(tickets.length).toBeGreaterThan(0);
    for (const t of tickets) {
      expect(typeof t.id).toBe('number');
      for (const k of ['title', 'description', 'status', 'priority', 'kind', 'source']) expect(typeof t[k], `ticket ${t.id} ${k}`).toBe('string');
      for (const k of ['station', 'assignee', 'team', 'category']) expect(t[k] === null || typeof t[k] === 'string', `ticket ${t.id} ${k}`).toBe(true);
      if (t.station !== null) expect(STATIONS).toContain(t.station);
      if (t.customer !== null) for (const k of ['name', 'phone', 'address']) expect(typeof (t.customer as Record<string, unknown>)[k]).toBe('string');
    }
    // times must be ones a Date can hold, or the page and every later formatting of them break
    const isTime = (t: unknown) => typeof t === 'number' && Math.abs(t) <= 8.64e15;
    const stops = (await svc.app.inject({ url: '/api/planned-stops', headers: AUTH })).json() as Array<Record<string, unknown>>;
    for (const s of stops) {
      expect(isTime(s.from) && isTime(s.to), JSON.stringify(s).slice(0, 300)).toBe(true);
      expect(typeof s.reason).toBe('string');
    }
    const modes = (await svc.app.inject({ url: '/api/modes', headers: AUTH })).json() as Array<Record<string, unknown>>;
    for (const m of modes) {
      expect(typeof m.mode).toBe('string');
      expect(m.until === null || m.until === undefined || isTime(m.until), JSON.stringify(m).slice(0, 300)).toBe(true);
    }
  });
});
