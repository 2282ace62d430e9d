import { parseArgs } from 'node:util';
import { parseConfigText } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { startService } from '../service.ts';
import { startDemoCrews } from './demo-crew.ts';
import { untilSignal } from './run.ts';

import { DEMO_OPERATOR_TOKEN, DEMO_READ_TOKEN } from '../api/tokens.ts';

// published in the README: `heatwatch run` and `serve` refuse them, only the demo starts with them
export { DEMO_OPERATOR_TOKEN, DEMO_READ_TOKEN };

/** `heatwatch demo`: simulators plus the service on the embedded store, with a generated config. */
export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stations: { type: 'string', default: '20' },
      'period-ms': { type: 'string', default: '2000' },
      port: { type: 'string', default: '8080' },
      'modbus-port': { type: 'string', default: '5020' },
      // every Nth station is served and polled over OPC UA (0 = none)
      'opcua-port': { type: 'string', default: '4840' },
      'opcua-every': { type: 'string', default: '4' },
      'control-port': { type: 'string', default: '8099' },
      seed: { type: 'string', default: '1' },
      // on: the simulator runs a utility's normal work (patrols, changeovers, setback, refills, outages, planned stops)
      operations: { type: 'string', default: 'on' },
      data: { type: 'string', default: 'data/demo' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  if (values.operations !== 'on' && values.operations !== 'off') throw Object.assign(new Error('--operations must be on or off'), { code: 'ERR_PARSE_ARGS_DEMO' });
  const num = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw Object.assign(new Error(`--${name} must be a whole number`), { code: 'ERR_PARSE_ARGS_DEMO' });
    return n;
  };
  const log = createLogger(values['log-level']);
  const { startSimulator } = await import('../../simulators/index.ts');
  const sim = await startSimulator({
    stations: num('stations'),
    seed: num('seed'),
    modbusPort: num('modbus-port'),
    controlPort: num('control-port'),
    logger: log.child({ module: 'sim' }),
    ...(values.operations === 'on' ? { operations: true } : {}),
    ...(num('opcua-every') > 0 ? { opcua: { port: num('opcua-port'), every: num('opcua-every'), pkiDir: `${values.data}/sim-pki` } } : {}),
  });
  const cfg = parseConfigText(sim.configYaml({ pollMs: num('period-ms') }), 'demo config');
  cfg.api.port = num('port');
  cfg.storage.series = { kind: 'sqlite', path: `${values.data}/series.db` };
  cfg.storage.state = { kind: 'sqlite', path: `${values.data}/state.db` };
  cfg.opcua.pkiDir = `${values.data}/pki`;
  const svc = await startService(cfg, { logger: log }).catch(async (err: unknown) => {
    // the service closed what it opened; the simulators' ports must not stay bound either
    await sim.stop();
    throw err;
  });
  const stopCrews = values.operations === 'on' ? startDemoCrews({ operations: sim.operations, modes: svc.modes, now: Date.now, logger: log.child({ module: 'demo-crew' }) }) : () => undefined;
  process.stdout.write(
    [
      '',
      `heatwatch demo: ${sim.stations.length} simulated stations`,
      `  page       ${svc.url}/   (the control room)`,
      `  API        ${svc.url}   (read token: ${DEMO_READ_TOKEN}, operator token: ${DEMO_OPERATOR_TOKEN})`,
      `  try        curl -H 'Authorization: Bearer ${DEMO_READ_TOKEN}' ${svc.url}/api/stations`,
      `  API docs   ${svc.url}/docs`,
      `  simulator  ${sim.controlUrl}/stations   (POST /faults to inject faults)`,
      '',
    ].join('\n') + '\n',
  );
  await untilSignal(async () => {
    stopCrews();
    await svc.stop();
    await sim.stop();
  }, log);
  return 0;
}
