/**
 * `tickets:` config (DESIGN §3) and its defaults (DOMAIN §4). Every key is
 * optional; `resolveTicketSettings` fills the defaults.
 */
import Type, { type Static } from 'typebox';
import type { CustomerCategory, TicketPriority } from './types.ts';

const strict = { additionalProperties: false } as const;
const Minutes = Type.Number({ exclusiveMinimum: 0 });

const Sla = Type.Object(
  {
    respondMin: Type.Optional(Minutes),
    /** on-site deadline (green channel); omitted = none */
    onSiteMin: Type.Optional(Minutes),
    resolveMin: Type.Optional(Minutes),
  },
  strict,
);

const PriorityName = Type.Union([Type.Literal('P1'), Type.Literal('P2'), Type.Literal('P3'), Type.Literal('P4')]);
/** minutes an alarm must stay active before it opens a ticket; null = never */
const OpenAfter = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

export const TicketsConfig = Type.Object(
  {
    sla: Type.Optional(Type.Object({ P1: Type.Optional(Sla), P2: Type.Optional(Sla), P3: Type.Optional(Sla), P4: Type.Optional(Sla) }, strict)),
    /** by alarm priority 1..4 */
    openAfterMin: Type.Optional(
      Type.Object({ '1': Type.Optional(OpenAfter), '2': Type.Optional(OpenAfter), '3': Type.Optional(OpenAfter), '4': Type.Optional(OpenAfter) }, strict),
    ),
    reopenWindowH: Type.Optional(Type.Number({ minimum: 0 })),
    /** alarms per area within windowMin above which they group into one incident */
    storm: Type.Optional(
      Type.Object(
        {
          windowMin: Type.Optional(Minutes),
          maxAlarms: Type.Optional(Type.Integer({ minimum: 1 })),
          /** non-P1 candidates wait this long so a storm's first alarms join its incident too */
          groupWaitS: Type.Optional(Type.Number({ minimum: 0 })),
        },
        strict,
      ),
    ),
    chatter: Type.Optional(Type.Object({ raises: Type.Optional(Type.Integer({ minimum: 2 })), windowS: Type.Optional(Minutes) }, strict)),
    categories: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^(no_heat|repair|leak|complaint|consult|fee_dispute)$' }),
        Type.Object({ priority: Type.Optional(PriorityName), respondMin: Type.Optional(Minutes), resolveMin: Type.Optional(Minutes) }, strict),
      ),
    ),
    noHeatComplaints: Type.Optional(Type.Object({ count: Type.Optional(Type.Integer({ minimum: 1 })), windowMin: Type.Optional(Minutes) }, strict)),
    /** building / address prefix → serving station; more via CSV import */
    addresses: Type.Optional(Type.Array(Type.Object({ address: Type.String({ minLength: 1 }), station: Type.String({ pattern: '^[a-z0-9_-]+$' }) }, strict))),
    attachments: Type.Optional(
      Type.Object(
        {
          dir: Type.Optional(Type.String({ minLength: 1 })),
          maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          /** per ticket: at most this many attachments, of at most this many bytes together */
          maxPerTicket: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          maxTicketBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          types: Type.Optional(Type.Array(Type.String({ minLength: 3 }), { minItems: 1 })),
        },
        strict,
      ),
    ),
    webhooks: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[a-z0-9_-]+$' }),
            url: Type.String({ pattern: '^https?://' }),
            secret: Type.String({ minLength: 8 }),
            events: Type.Optional(Type.Array(Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('escalated'), Type.Literal('closed')]))),
            timeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
          },
          strict,
        ),
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          baseMs: Type.Optional(Type.Integer({ minimum: 1 })),
          maxMs: Type.Optional(Type.Integer({ minimum: 1 })),
          /** a webhook event failing this many attempts, or still undelivered this many hours after its first, is dead-lettered */
          maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          maxAgeH: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 8760 })),
        },
        strict,
      ),
    ),
    tickMs: Type.Optional(Type.Integer({ minimum: 100 })),
    /** what a fix can be recorded as when a ticket is resolved (the case library searches by it) */
    resolutionCodes: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_]+$', maxLength: 40 }), { minItems: 1, uniqueItems: true })),
  },
  strict,
);
export type TicketsConfigInput = Static<typeof TicketsConfig>;

export interface SlaSpec {
  respondMin: number;
  onSiteMin: number | null;
  resolveMin: number;
}

export interface CategorySpec {
  priority: TicketPriority;
  respondMin: number;
  resolveMin: number;
}

export interface WebhookTarget {
  name: string;
  url: string;
  secret: string;
  events: Array<'created' | 'updated' | 'escalated' | 'closed'>;
  timeoutMs: number;
}

export interface TicketSettings {
  sla: Record<TicketPriority, SlaSpec>;
  /** index 0..3 = alarm priority 1..4; minutes, null = never */
  openAfterMin: [number | null, number | null, number | null, number | null];
  reopenWindowMs: number;
  storm: { windowMs: number; maxAlarms: number; groupWaitMs: number };
  chatter: { raises: number; windowMs: number };
  categories: Record<CustomerCategory, CategorySpec>;
  noHeat: { count: number; windowMs: number };
  addresses: Array<{ address: string; station: string }>;
  attachments: { dir: string | null; maxBytes: number; maxPerTicket: number; maxTicketBytes: number; types: string[] };
  webhooks: WebhookTarget[];
  retry: { baseMs: number; maxMs: number; maxAttempts: number; maxAgeMs: number };
  tickMs: number;
  resolutionCodes: string[];
}

/** DOMAIN §4: P1 assign ≤ 5 min, on site ≤ 30 min, restore ≤ 48 h; P2 2 h / 24 h; P3 24 h / 72 h; P4 48 h / 5 d. */
export const DEFAULT_SLA: Record<TicketPriority, SlaSpec> = {
  P1: { respondMin: 5, onSiteMin: 30, resolveMin: 48 * 60 },
  P2: { respondMin: 120, onSiteMin: null, resolveMin: 24 * 60 },
  P3: { respondMin: 24 * 60, onSiteMin: null, resolveMin: 72 * 60 },
  P4: { respondMin: 48 * 60, onSiteMin: null, resolveMin: 5 * 24 * 60 },
};

/** Service-window categories: no_heat answered in 2 h, leak as P1, repair 24 h, fee dispute 48 h review. */
export const DEFAULT_CATEGORIES: Record<CustomerCategory, CategorySpec> = {
  no_heat: { priority: 'P2', respondMin: 120, resolveMin: 24 * 60 },
  leak: { priority: 'P1', respondMin: 5, resolveMin: 48 * 60 },
  repair: { priority: 'P3', respondMin: 24 * 60, resolveMin: 72 * 60 },
  complaint: { priority: 'P3', respondMin: 24 * 60, resolveMin: 72 * 60 },
  consult: { priority: 'P4', respondMin: 24 * 60, resolveMin: 48 * 60 },
  fee_dispute: { priority: 'P4', respondMin: 48 * 60, resolveMin: 5 * 24 * 60 },
};

/** How a heating fault is usually put right; `other` for the rest (the resolve note says what). */
export const DEFAULT_RESOLUTION_CODES = [
  'valve_replaced', 'valve_adjusted', 'pump_repaired', 'pump_switched', 'leak_repaired', 'air_vented', 'filter_cleaned',
  'sensor_replaced', 'setpoint_adjusted', 'power_restored', 'customer_side', 'no_fault_found', 'other',
];

export const DEFAULT_ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'video/mp4', 'video/quicktime', 'video/webm'];

/** Fills every default. Input is schema-valid (or undefined). */
export function resolveTicketSettings(input: TicketsConfigInput | Record<string, unknown> | undefined): TicketSettings {
  const c = (input ?? {}) as TicketsConfigInput;
  const sla = {} as Record<TicketPriority, SlaSpec>;
  for (const p of ['P1', 'P2', 'P3', 'P4'] as const) {
    const d = DEFAULT_SLA[p];
    const o = c.sla?.[p];
    sla[p] = { respondMin: o?.respondMin ?? d.respondMin, onSiteMin: o?.onSiteMin ?? d.onSiteMin, resolveMin: o?.resolveMin ?? d.resolveMin };
  }
  const oa = c.openAfterMin ?? {};
  const pick = (v: number | null | undefined, d: number | null) => (v === undefined ? d : v);
  const categories = {} as Record<CustomerCategory, CategorySpec>;
  for (const [k, d] of Object.entries(DEFAULT_CATEGORIES) as Array<[CustomerCategory, CategorySpec]>) {
    const o = c.categories?.[k];
    const priority = o?.priority ?? d.priority;
    categories[k] = { priority, respondMin: o?.respondMin ?? d.respondMin, resolveMin: o?.resolveMin ?? d.resolveMin };
  }
  return {
    sla,
    openAfterMin: [pick(oa['1'], 0), pick(oa['2'], 0), pick(oa['3'], 30), pick(oa['4'], null)],
    reopenWindowMs: (c.reopenWindowH ?? 72) * 3_600_000,
    storm: {
      windowMs: (c.storm?.windowMin ?? 10) * 60_000,
      maxAlarms: c.storm?.maxAlarms ?? 10,
      groupWaitMs: (c.storm?.groupWaitS ?? 30) * 1000,
    },
    chatter: { raises: c.chatter?.raises ?? 3, windowMs: (c.chatter?.windowS ?? 60) * 1000 },
    categories,
    noHeat: { count: c.noHeatComplaints?.count ?? 3, windowMs: (c.noHeatComplaints?.windowMin ?? 60) * 60_000 },
    addresses: c.addresses ?? [],
    attachments: {
      dir: c.attachments?.dir ?? null,
      maxBytes: c.attachments?.maxBytes ?? 50 * 1024 * 1024,
      maxPerTicket: c.attachments?.maxPerTicket ?? 20,
      maxTicketBytes: c.attachments?.maxTicketBytes ?? 200 * 1024 * 1024,
      types: c.attachments?.types ?? DEFAULT_ATTACHMENT_TYPES,
    },
    webhooks: (c.webhooks ?? []).map((w) => ({
      name: w.name,
      url: w.url,
      secret: w.secret,
      events: w.events ?? ['created', 'updated', 'escalated', 'closed'],
      timeoutMs: w.timeoutMs ?? 10_000,
    })),
    retry: {
      baseMs: c.retry?.baseMs ?? 1000,
      maxMs: c.retry?.maxMs ?? 300_000,
      maxAttempts: c.retry?.maxAttempts ?? 20,
      maxAgeMs: (c.retry?.maxAgeH ?? 48) * 3_600_000,
    },
    tickMs: c.tickMs ?? 5000,
    resolutionCodes: c.resolutionCodes ?? DEFAULT_RESOLUTION_CODES,
  };
}
