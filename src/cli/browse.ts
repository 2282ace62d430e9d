import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClassMask,
  type BrowseDescriptionLike,
  type ClientSession,
  type ReferenceDescription,
} from 'node-opcua-client';
import { openPki, unsecuredClient } from '../adapters/opcua/pki.ts';

const USAGE = `usage: heatwatch browse opc.tcp://host:port [--root NODE] [--depth N] [--station ID] [--device ID]
                        [--poll-ms MS] [--pki DIR]
  walks the address space from NODE (default i=85, Objects) and prints a config block
  (a station with one opcua device) that check-config accepts as printed
`;

export interface BrowseOptions {
  endpoint: string;
  root?: string;
  depth?: number;
  station?: string;
  device?: string;
  pollMs?: number;
  pkiDir?: string;
}

interface Found {
  nodeId: string;
  browseName: string;
  displayName: string;
  parent: string;
}

const FOLDERISH = new Set(['ns=0;i=61', 'ns=0;i=58', 'i=61', 'i=58']);
const HAS_PROPERTY = 'ns=0;i=46';
const MEASURABLE = new Set<number>([
  DataType.Boolean, DataType.SByte, DataType.Byte, DataType.Int16, DataType.UInt16, DataType.Int32,
  DataType.UInt32, DataType.Int64, DataType.UInt64, DataType.Float, DataType.Double,
]);

/** `[a-z0-9_-]+` from a browse name: lower case, other characters → `_`. */
export function pointIdFrom(name: string): string {
  const id = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return id.slice(0, 64);
}

async function browseAll(session: ClientSession, nodes: BrowseDescriptionLike[]): Promise<ReferenceDescription[][]> {
  const out: ReferenceDescription[][] = [];
  for (let i = 0; i < nodes.length; i += 500) {
    const res = await session.browse(nodes.slice(i, i + 500));
    out.push(...res.map((r) => r.references ?? []));
  }
  return out;
}

/**
 * Walks the server's address space and returns the config YAML: measurable variables
 * (numeric or boolean) become points with ids from their browse names, node ids as the
 * server states them and units from EngineeringUnits. Alarm and server objects are skipped.
 */
export async function browseToYaml(o: BrowseOptions): Promise<{ yaml: string; points: number }> {
  const cm = await openPki(o.pkiDir ?? 'data/pki');
  const client = unsecuredClient(cm);
  await client.connect(o.endpoint);
  try {
    const session = await client.createSession();
    const root = o.root ?? 'i=85';
    const depth = o.depth ?? 6;
    const vars: Found[] = [];
    let level: Array<{ nodeId: string; name: string }> = [{ nodeId: root, name: '' }];
    for (let d = 0; d < depth && level.length; d++) {
      const refs = await browseAll(
        session,
        level.map((n) => ({
          nodeId: n.nodeId,
          browseDirection: BrowseDirection.Forward,
          referenceTypeId: 'HierarchicalReferences',
          includeSubtypes: true,
          nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
          resultMask: 63,
        })),
      );
      const next: typeof level = [];
      refs.forEach((list, i) => {
        for (const r of list) {
          if (r.referenceTypeId.toString() === HAS_PROPERTY) continue;
          const id = r.nodeId.toString();
          const name = r.browseName.name ?? id;
          if (r.nodeClass === 2) {
            vars.push({ nodeId: id, browseName: name, displayName: r.displayName.text ?? name, parent: level[i].name });
          } else if (r.nodeId.namespace !== 0 || FOLDERISH.has(r.typeDefinition.toString())) {
            // custom objects and folders; not the Server object nor alarm/condition instances
            if (!(r.nodeId.namespace === 0 && r.nodeId.value === 2253) && (FOLDERISH.has(r.typeDefinition.toString()) || r.typeDefinition.namespace !== 0)) {
              next.push({ nodeId: id, name });
            }
          }
        }
      });
      level = next;
    }
    // keep the measurable ones, with their units
    const dts = await session.read(vars.map((v) => ({ nodeId: v.nodeId, attributeId: AttributeIds.Value })));
    const keep = vars.filter((_, i) => MEASURABLE.has(dts[i].value?.dataType as number));
    const props = await browseAll(
      session,
      keep.map((v) => ({ nodeId: v.nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: 'HasProperty', includeSubtypes: true, resultMask: 63 })),
    );
    const euNodes = props.map((list) => list.find((r) => r.browseName.name === 'EngineeringUnits')?.nodeId);
    const euValues = await session.read(euNodes.filter((n) => n).map((n) => ({ nodeId: n!, attributeId: AttributeIds.Value })));
    let k = 0;
    const units = euNodes.map((n) => {
      if (!n) return undefined;
      const eu = euValues[k++]?.value?.value as { displayName?: { text?: string | null } } | null;
      return eu?.displayName?.text || undefined;
    });
    await session.close();
    const used = new Set<string>();
    const points = keep.map((v, i) => {
      let id = pointIdFrom(v.browseName) || `p${i + 1}`;
      if (used.has(id) && v.parent) id = pointIdFrom(`${v.parent}_${v.browseName}`) || id;
      const base = id;
      for (let n = 2; used.has(id); n++) id = `${base.slice(0, 60)}_${n}`;
      used.add(id);
      return {
        id,
        ...(v.displayName && v.displayName !== v.browseName ? { name: v.displayName.slice(0, 200) } : {}),
        ...(units[i] ? { unit: units[i]!.slice(0, 32) } : {}),
        nodeId: v.nodeId,
      };
    });
    const doc = {
      stations: [
        {
          id: o.station ?? 'station',
          devices: [
            {
              id: o.device ?? 'ua',
              protocol: 'opcua',
              endpoint: o.endpoint,
              pollMs: o.pollMs ?? 1000,
              points,
            },
          ],
        },
      ],
    };
    const text = stringify(doc, { lineWidth: 0 }).replace(/\n(\s+)- id: /g, '\n$1- id: ');
    const header = `# heatwatch browse ${o.endpoint} --root ${root} --depth ${depth}: ${points.length} points\n# paste the device into a station's devices (add securityMode/username as needed)\n`;
    return { yaml: header + text, points: points.length };
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

/** `heatwatch browse`: prints the YAML on stdout; exit 1 when the server cannot be browsed. */
export async function runBrowse(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      depth: { type: 'string', default: '6' },
      station: { type: 'string' },
      device: { type: 'string' },
      'poll-ms': { type: 'string' },
      pki: { type: 'string', default: 'data/pki' },
    },
  });
  const endpoint = positionals[0];
  const depth = Number(values.depth);
  if (!endpoint?.startsWith('opc.tcp://') || !Number.isInteger(depth) || depth < 1) {
    process.stderr.write(`heatwatch browse: give one opc.tcp:// endpoint and --depth ≥ 1\n${USAGE}`);
    return 2;
  }
  try {
    const r = await browseToYaml({
      endpoint,
      depth,
      pkiDir: values.pki!,
      ...(values.root ? { root: values.root } : {}),
      ...(values.station ? { station: values.station } : {}),
      ...(values.device ? { device: values.device } : {}),
      ...(values['poll-ms'] ? { pollMs: Number(values['poll-ms']) } : {}),
    });
    process.stdout.write(r.yaml);
    return 0;
  } catch (err) {
    process.stderr.write(`heatwatch browse ${endpoint}: ${(err as Error).message}\n`);
    return 1;
  }
}
