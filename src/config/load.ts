import { readFileSync } from 'node:fs';
import Value from 'typebox/value';
import { parseDocument } from 'yaml';
import { Config, type ConfigInput } from './schema.ts';
import { compileAlarmRules } from '../alarms/config.ts';
import { resolveConfig, type ConfigProblem, type ResolvedConfig } from './resolve.ts';

export const DEFAULT_CONFIG_PATH = 'config/heatwatch.yaml';

/** Thrown when a config cannot be used; `problems` has one entry per bad key. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n${problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `/stations/3/devices/0/endpoint` → `stations[3].devices[0].endpoint` */
export function jsonPointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** Schema errors, one per path, skipping the redundant summaries TypeBox adds for unions and unknown keys. */
export function schemaProblems(doc: unknown): ConfigProblem[] {
  const byPath = new Map<string, string>();
  for (const e of Value.Errors(Config, doc)) {
    const path = jsonPointerToPath(e.instancePath);
    let message = e.message;
    if (e.keyword === 'boolean' && message === 'schema is false') message = 'unknown key';
    if (e.keyword === 'additionalProperties') continue; // reported per key as 'unknown key'
    if (e.keyword === 'anyOf' && byPath.size > 0) continue;
    if (!byPath.has(path)) byPath.set(path, message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

/** Validates a parsed document; throws ConfigError listing every problem. */
export function validateConfig(doc: unknown, file = '<config>'): ResolvedConfig {
  const problems = schemaProblems(doc);
  if (problems.length) throw new ConfigError(file, problems);
  const resolved = resolveConfig(doc as ConfigInput, problems);
  if (problems.length) throw new ConfigError(file, problems);
  const rules = compileAlarmRules(resolved);
  if (rules.errors.length) throw new ConfigError(file, rules.errors);
  return resolved;
}

export function parseConfigText(text: string, file = '<config>'): ResolvedConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] })),
    );
  }
  return validateConfig(doc.toJS(), file);
}

/** The only place that reads HEATWATCH_CONFIG. */
export function configPath(cliPath?: string): string {
  return cliPath ?? process.env.HEATWATCH_CONFIG ?? DEFAULT_CONFIG_PATH;
}

export function loadConfig(file: string): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file);
}
