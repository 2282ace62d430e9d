// A viewer sees a device's error category, never its endpoint or the error text (an OPC UA login
// error names the user); engineers and admins see the details. In process (app.inject).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAuth } from '../../src/api/auth.ts';
import { buildApp } from '../../src/api/app.ts';
import type { LiveView } from '../../src/api/deps.ts';
import { deviceErrorCategory } from '../../src/api/device-error.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { DeviceStatus } from '../../src/model.ts';
import { openSqliteState, type SqliteState } from '../helpers/sqlite-state.ts';
import type { SeriesStore } from '../../src/store/port.ts';

const VIEWER = 'viewer-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const ENGINEER = 'engineer-token-0123456789';
const LOGIN_ERROR = "opc.tcp://10.20.30.40:4840: login as 'plc-svc-user' rejected by the server (BadUserAccessDenied): wrong username or password";

const YAML = `stations:
  - id: hs-001
    devices:
      - { id: ua, protocol: opcua, endpoint: "opc.tcp://10.20.30.40:4840", securityMode: SignAndEncrypt, username: plc-svc-user, password: s3cret-pass, points: [ { id: t, nodeId: "ns=1;s=t" } ] }
      - { id: plc, endpoint: "modbus+tcp://10.20.30.41:502", points: [ { id: t2, table: holding, address: 0, type: int16 } ] }
auth:
  tokens:
    - { name: wall, token: ${VIEWER}, role: viewer }
    - { name: desk-1, token: ${OPERATOR}, role: operator }
    - { name: eng-1, token: ${ENGINEER}, role: engineer }
`;

let app: FastifyInstance;
let state: SqliteState;
let dir: string;
const status = new Map<string, DeviceStatus>([
  ['hs-001/ua', { station: 'hs-001', device: 'ua', comm: 'offline', ts: 1, error: LOGIN_ERROR }],
  ['hs-001/plc', { station: 'hs-001', device: 'plc', comm: 'offline', ts: 1, error: 'hs-001/plc: read holding 0..0: timeout after 2000 ms' }],
]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heatwatch-device-errors-'));
  const cfg = parseConfigText(YAML, 'test');
  state = await openSqliteState(join(dir, 'state.db'));
  const live: LiveView = { latest: () => undefined, deviceStatus: (s, d) => status.get(`${s}/${d}`), onSamples: () => () => {}, health: () => ({ status: 'ok' }) };
  app = await buildApp({ config: cfg, auth: new TokenAuth(cfg.tokens), live, series: {} as SeriesStore, state: state.store, metrics: new Registry(), logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await app?.close();
  state?.close();
  rmSync(dir, { recursive: true, force: true });
});

const station = (token: string) => app.inject({ url: '/api/stations/hs-001', headers: { authorization: `Bearer ${token}` } });

describe('device errors', () => {
  it.each([
    [LOGIN_ERROR, 'auth'],
    ['opc.tcp://h:4840: the server certificate is not trusted (BadCertificateUntrusted)', 'certificate'],
    ['hs-001/plc: read holding 0..61: timeout after 2000 ms', 'timeout'],
    ['hs-001/plc: connection refused', 'refused'],
    ['hs-001/plc: connect ENOTFOUND plc-7.local', 'unreachable'],
    ['hs-001/plc: connection closed (ECONNRESET)', 'closed'],
    ['hs-001/plc: read holding 0..9: exception 2 (illegal data address)', 'protocol'],
    ['hs-001/plc: read coil 0..7: malformed reply: byte count 3, expected 1', 'protocol'],
    ['collector c1 (shard 0) is offline', 'offline'],
  ])('%s → %s', (text, want) => expect(deviceErrorCategory(text)).toBe(want));

  it.each([VIEWER, OPERATOR])('a %s token sees the category only: no endpoint, no error text, no user name', async (token) => {
    const r = await station(token);
    expect(r.statusCode).toBe(200);
    const [ua, plc] = r.json().devices;
    expect(ua).toMatchObject({ id: 'ua', comm: 'offline', errorCategory: 'auth' });
    expect(plc).toMatchObject({ id: 'plc', comm: 'offline', errorCategory: 'timeout' });
    for (const d of [ua, plc]) {
      expect(d).not.toHaveProperty('endpoint');
      expect(d).not.toHaveProperty('error');
    }
    for (const secret of ['plc-svc-user', 's3cret-pass', '10.20.30.40', '10.20.30.41']) expect(r.body).not.toContain(secret);
  });

  it('an engineer sees endpoint and error text; the password never', async () => {
    const r = await station(ENGINEER);
    const [ua] = r.json().devices;
    expect(ua).toMatchObject({ endpoint: 'opc.tcp://10.20.30.40:4840', error: LOGIN_ERROR, errorCategory: 'auth' });
    expect(r.body).not.toContain('s3cret-pass');
  });
});
