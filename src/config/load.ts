import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ownStrings } from '../intern.ts';
import { Config, type ConfigInput } from './schema.ts';
import { precompileAlarmRules } from '../alarms/config.ts';
import { resolveConfig, type ConfigProblem, type ResolvedConfig, type Unchecked } from './resolve.ts';
import { checkSchema, originalPath, type SchemaCheck } from './schema-check.ts';

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

/** Schema problems of a parsed document, one per path, each with the bad value and what is allowed. */
export function schemaProblems(doc: unknown): ConfigProblem[] {
  return checkSchema(Config, doc).problems;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names the file defines, whether or not their entries passed the schema. */
function namesIn(doc: Record<string, unknown>, checked: SchemaCheck): Unchecked {
  const stations = Array.isArray(doc.stations) ? doc.stations.filter(isObject) : [];
  const strings = (list: unknown[]) => new Set(list.filter((x): x is string => typeof x === 'string'));
  return {
    partial: checked.partial,
    templates: new Set(isObject(doc.templates) ? Object.keys(doc.templates) : []),
    stations: strings(stations.map((s) => s.id)),
    areas: strings(stations.map((s) => s.area)),
  };
}

/**
 * Validates a parsed document; throws ConfigError listing every problem of every layer at once:
 * the schema's, then those of the checks across keys and of the alarm rules, run on the parts
 * that passed the schema (a part that failed is reported once, by the schema).
 * The compiled alarm rules are kept on the result for the service (src/alarms/config.ts).
 */
export function validateConfig(doc: unknown, file = '<config>'): ResolvedConfig {
  const checked = checkSchema(Config, doc);
  const problems: ConfigProblem[] = [...checked.problems];
  if (!isObject(doc) || !isObject(checked.value)) throw new ConfigError(file, problems);
  // a missing or failed `stations` is reported; the other sections are still checked
  const input = { stations: [], ...checked.value } as ConfigInput;
  const later: ConfigProblem[] = [];
  const resolved = resolveConfig(input, later, namesIn(doc, checked));
  later.push(...precompileAlarmRules(resolved).errors);
  const schemaPaths = new Set(problems.map((p) => p.path));
  const seen = new Set<string>();
  for (const p of later) {
    const path = originalPath(p.path, checked.indexMaps);
    // a key the schema rejected is reported once, by the schema (a bad `bit` is also "needed")
    const key = `${path}\u0000${p.message}`;
    if (schemaPaths.has(path) || seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message: p.message });
  }
  if (problems.length) throw new ConfigError(file, problems);
  return resolved;
}

/** Deeper than this and it is no config: the YAML parser itself can run out of memory on it. */
const MAX_NESTING = 64;

/** The deepest bracket nesting of flow-style YAML (quotes ignored: only a bound, not a parse). */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

export function parseConfigText(text: string, file = '<config>'): ResolvedConfig {
  return validateConfig(yamlValue(text, file), file);
}

/**
 * The plain value of the YAML text. Its own function so the parsed document (~200 MB for a
 * 5,000-station file) is garbage before the checks and the rule compiler run.
 */
function yamlValue(text: string, file: string): unknown {
  if (flowDepth(text) > MAX_NESTING) throw new ConfigError(file, [{ path: '(file)', message: `nested deeper than ${MAX_NESTING} levels` }]);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] })),
    );
  }
  try {
    // an alias to an undefined anchor, or an alias bomb, fails only here
    // its own copies: the values the parser cut from the text keep all of it alive otherwise
    return ownStrings(doc.toJS({ maxAliasCount: 100 }));
  } catch (e) {
    throw new ConfigError(file, [{ path: '(file)', message: e instanceof Error ? e.message.split('\n')[0] : String(e) }]);
  }
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
