import { parseArgs } from 'node:util';
import { ConfigError, configPath, loadConfig } from '../config/load.ts';
import { StateUnreachableError } from '../state/open.ts';
import { createLogger } from '../log.ts';
import { limitHeapGrowth } from '../heap-growth.ts';
import { runCheckConfig } from './check-config.ts';

export const USAGE = `usage: heatwatch <command> [options]

commands:
  run           [--config PATH] [--log-level L]        everything in one process
  sim           [--stations N] [--modbus-port P] [--opcua-port P] [--opcua-every N]
                [--control-port P] [--seed S] [--layout per-station|gateway]
                [--template NAME] [--write-config PATH]
                                                        the substation simulators alone
  demo          [--stations N] [--period-ms P] [--port P] [--log-level L]
                                                        simulators plus service (npm start)
  collect       --shard K/N [--config PATH] [--log-level L]
                                                        poll shard K of N stations, publish to MQTT
  serve         [--config PATH] [--log-level L]        consume MQTT from collectors: store, alarms, API
  replay        --from T [--to T] [--rules FILE] [--json] [--events] [--config PATH]
                                                        run alarm rules over stored history
  import        FILE [--format csv|line] [--precision auto|ns|us|ms|s] [--dry-run] [--skip-invalid]
                [--batch N] [--config PATH]             history (CSV or line protocol) into the series store
  export        --from T [--to T] [--points ID,...] [--format csv|line] [--ts iso|ms]
                [--layout poll|point] [--out FILE] [--config PATH]
                                                        raw history out of the series store
  check-config  [--config PATH]                         validate; exit 0, or 2 with every problem
  browse        opc.tcp://HOST:PORT [--root NODE] [--depth N] [--station ID] [--pki DIR]
                                                        print an OPC UA device block for the config
  trust         opc.tcp://HOST:PORT [--pki DIR]         fetch and trust an OPC UA server certificate

config: --config, else $HEATWATCH_CONFIG, else config/heatwatch.yaml
`;

/** Exit codes: 0 ok, 1 runtime failure (import: problems found, nothing imported), 2 bad config or usage, 3 import: good lines imported, bad ones skipped (--skip-invalid). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': {
        limitHeapGrowth();
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, 'log-level': { type: 'string' } } });
        // the service is loaded only when needed, so check-config stays quick
        const { runService } = await import('./run.ts');
        return await runService(configPath(values.config), createLogger(values['log-level'] ?? 'info'));
      }
      case 'collect': {
        limitHeapGrowth();
        const { runCollect } = await import('./collect.ts');
        return await runCollect(rest);
      }
      case 'serve': {
        limitHeapGrowth();
        const { runServe } = await import('./serve.ts');
        return await runServe(rest);
      }
      case 'replay': {
        const { runReplay } = await import('./replay.ts');
        return await runReplay(rest, configPath);
      }
      case 'import': {
        const { runImport } = await import('./import.ts');
        return await runImport(rest, configPath);
      }
      case 'export': {
        const { runExport } = await import('./export.ts');
        return await runExport(rest, configPath);
      }
      case 'check-config': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
        return runCheckConfig(configPath(values.config));
      }
      case 'demo': {
        limitHeapGrowth();
        const { runDemo } = await import('./demo.ts');
        return await runDemo(rest);
      }
      case 'sim': {
        const { runSimCli } = await import('../../simulators/cli.ts');
        return await runSimCli(rest);
      }
      case 'browse': {
        const { runBrowse } = await import('./browse.ts');
        return await runBrowse(rest);
      }
      case 'trust': {
        const { runTrust } = await import('./trust.ts');
        return await runTrust(rest);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`heatwatch: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof StateUnreachableError) {
      process.stderr.write(`heatwatch ${command}: ${err.message}\n`);
      return 2;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`heatwatch ${command}: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`heatwatch ${command}: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

export { loadConfig };
