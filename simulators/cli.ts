import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSimulator, type SimStation } from './index.ts';
import { TEMPLATE_NAMES, type TemplateName } from './templates.ts';

const USAGE = `usage: heatwatch sim [--stations N] [--modbus-port P] [--opcua-port P [--opcua-every N] [--opcua-pki DIR]] [--control-port P]
                     [--seed S] [--layout gateway|per-station] [--template ${TEMPLATE_NAMES.join('|')}]
                     [--write-config PATH] [--operations] [--season-start]
  --operations    run the normal operations of a utility (patrols, pump changeovers, night setback,
                  refills, short 4G outages, planned stops, floor-heating stations), from the seed
  --season-start  with --operations: stations start empty and go through filling, pressure test,
                  cold circulation and heat-up over the first days
`;

/** Endpoint lines, one per port, summarised when there are many. */
export function describeEndpoints(stations: SimStation[], max = 12): string[] {
  const byPort = new Map<number, SimStation[]>();
  for (const s of stations) byPort.set(s.port, [...(byPort.get(s.port) ?? []), s]);
  const lines = [...byPort.entries()].map(([port, ss]) =>
    ss.length === 1
      ? `  modbus+tcp://${ss[0].host}:${port} unit ${ss[0].unit}  ${ss[0].id} ${ss[0].name}`
      : `  modbus+tcp://${ss[0].host}:${port} units 1..${ss.length}  ${ss[0].id} .. ${ss[ss.length - 1].id}`,
  );
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max - 2), `  ... ${lines.length - max + 1} more ports ...`, lines[lines.length - 1]];
}

/** `heatwatch sim`: runs the substation simulators until SIGINT/SIGTERM; resolves to the exit code. */
export async function runSimCli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stations: { type: 'string', default: '20' },
        'modbus-port': { type: 'string', default: '5020' },
        'opcua-port': { type: 'string' },
        'opcua-every': { type: 'string', default: '1' },
        'opcua-pki': { type: 'string', default: 'data/sim-pki' },
        'control-port': { type: 'string', default: '8099' },
        seed: { type: 'string', default: '1' },
        layout: { type: 'string' },
        template: { type: 'string', default: 'hs-plc' },
        'write-config': { type: 'string' },
        operations: { type: 'boolean', default: false },
        'season-start': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`heatwatch sim: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got '${v}'`);
    return n;
  };
  let opts;
  try {
    const layout = values.layout;
    if (layout !== undefined && layout !== 'gateway' && layout !== 'per-station') throw new Error(`--layout must be gateway or per-station, got '${layout}'`);
    const template = values.template as TemplateName;
    if (!TEMPLATE_NAMES.includes(template)) throw new Error(`--template must be one of ${TEMPLATE_NAMES.join(', ')}, got '${template}'`);
    if (values['opcua-port'] !== undefined) int('opcua-port', values['opcua-port'], 0);
    if (values['season-start'] && !values.operations) throw new Error('--season-start needs --operations');
    opts = {
      stations: int('stations', values.stations, 1),
      modbusPort: int('modbus-port', values['modbus-port'], 0),
      controlPort: int('control-port', values['control-port'], 0),
      seed: int('seed', values.seed, 0),
      template,
      ...(layout ? { layout: layout as 'gateway' | 'per-station' } : {}),
      ...(values.operations ? { operations: values['season-start'] ? { seasonStart: true } : true } : {}),
    };
  } catch (err) {
    process.stderr.write(`heatwatch sim: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const sim = await startSimulator({
    ...opts,
    ...(values['opcua-port'] !== undefined
      ? { opcua: { port: Number(values['opcua-port']), every: int('opcua-every', values['opcua-every'], 1), pkiDir: values['opcua-pki']! } }
      : {}),
  });
  const out = [
    `heatwatch sim: ${sim.stations.length} stations, template ${opts.template}, seed ${opts.seed}${opts.operations ? ', with normal operations' : ''}`,
    ...describeEndpoints(sim.stations),
  ];
  if (sim.opcua) {
    const every = Number(values['opcua-every']);
    out.push(`  ${sim.opcua.endpointUrl}  ${every === 1 ? 'every station' : `every ${every}th station`} (ns=1;s=<station>.<point>; conditions ns=1;s=<station>.alarm.*)`);
  }
  out.push(`  control API ${sim.controlUrl}  (GET /stations, GET /faults, POST /faults { station, fault, active }, GET /operations?from&to)`);
  if (values['write-config']) {
    // fresh tokens: `heatwatch run` refuses the demo's published ones
    const tokens = { read: randomBytes(18).toString('base64url'), operator: randomBytes(18).toString('base64url') };
    writeFileSync(values['write-config'], sim.configYaml({ tokens }), { mode: 0o600 });
    out.push(`  wrote config ${values['write-config']} (fresh random tokens in its auth.tokens)`);
  }
  process.stdout.write(out.join('\n') + '\n');
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await sim.stop();
  return 0;
}
