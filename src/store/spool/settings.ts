import { join } from 'node:path';
import type { ConfigInput } from '../../config/schema.ts';
import { stateFilesDir } from '../../state/config.ts';

/** `storage.spool` with defaults filled in. */
export interface SpoolSettings {
  enabled: boolean;
  path: string;
  maxBytes: number;
  maxAgeMs: number;
}

/** On by default for a remote series store (influxdb), off for the embedded one. */
export function resolveSpool(storage: ConfigInput['storage']): SpoolSettings {
  const sp = storage?.spool;
  const stateDir = storage?.state ? stateFilesDir(storage.state) : 'data';
  return {
    enabled: sp?.enabled ?? storage?.series?.kind === 'influxdb',
    path: sp?.path ?? join(stateDir, 'spool.db'),
    maxBytes: Math.round((sp?.maxMB ?? 1024) * 2 ** 20),
    maxAgeMs: Math.round((sp?.maxAgeHours ?? 168) * 3_600_000),
  };
}
