/**
 * `notify:` config — teams, the channels that reach them (WeCom and DingTalk group robots,
 * email), the SMTP transport, and the retry caps of notification deliveries. Owned here;
 * src/config/schema.ts only places it. Who is on call is not config: it is the roster, edited at
 * runtime (roster.ts, `PUT /api/oncall/roster`).
 *
 * @example
 * ```yaml
 * notify:
 *   teams:
 *     - { id: south, name: 南岗维修班, areas: [南岗区, 香坊区], channels: [ops-wecom, mail] }
 *     - { id: leaks, name: 管网抢修队, areas: ["*"], faultClasses: [leak, flood], categories: [leak] }
 *   defaultTeam: south                    # a ticket whose area no team serves
 *   channels:
 *     - { name: ops-wecom, kind: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…" }
 *     - { name: ops-ding, kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=…", secret: "SEC…" }
 *     - { name: mail, kind: email }       # to the roster person's email
 *   smtp: { host: smtp.example.com, port: 587, starttls: required, auth: { user: noc, passEnv: HEATWATCH_SMTP_PASS }, from: "供热监控 <noc@example.com>" }
 * ```
 */
import Type, { type Static } from 'typebox';

const strict = { additionalProperties: false } as const;
const Name = Type.String({ pattern: '^[a-z0-9_-]+$', minLength: 1, maxLength: 64 });
const RobotUrl = Type.String({ pattern: '^https?://', maxLength: 2000 });
const TimeoutMs = Type.Integer({ minimum: 100, maximum: 120_000 });

export const NotifyChannelInput = Type.Union([
  Type.Object({ name: Name, kind: Type.Literal('wecom'), url: RobotUrl, timeoutMs: Type.Optional(TimeoutMs) }, strict),
  Type.Object(
    {
      name: Name,
      kind: Type.Literal('dingtalk'),
      url: RobotUrl,
      /** the robot's signing secret (加签, `SEC…`): each request then carries timestamp and sign */
      secret: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
      timeoutMs: Type.Optional(TimeoutMs),
    },
    strict,
  ),
  Type.Object({ name: Name, kind: Type.Literal('email'), timeoutMs: Type.Optional(TimeoutMs) }, strict),
]);

export const NotifyConfig = Type.Object(
  {
    teams: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Name,
            name: Type.String({ minLength: 1, maxLength: 100 }),
            /** station areas the team serves; `*` all */
            areas: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1 }),
            /** only these customer categories / alarm fault classes (a team with either list takes what they name before a team without) */
            categories: Type.Optional(Type.Array(Type.String({ pattern: '^(no_heat|repair|leak|complaint|consult|fee_dispute)$' }), { minItems: 1 })),
            faultClasses: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1 })),
            /** channel names; default every channel */
            channels: Type.Optional(Type.Array(Name, { minItems: 1 })),
          },
          strict,
        ),
      ),
    ),
    /** the team of a ticket whose area no team serves */
    defaultTeam: Type.Optional(Name),
    channels: Type.Optional(Type.Array(NotifyChannelInput)),
    smtp: Type.Optional(
      Type.Object(
        {
          host: Type.String({ minLength: 1, maxLength: 253 }),
          /** default 465 with `secure`, else 587 */
          port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
          /** TLS from the first byte (port 465) */
          secure: Type.Optional(Type.Boolean()),
          /** without `secure`: `required` refuses a server without STARTTLS, `opportunistic` (default) uses it when offered, `off` never */
          starttls: Type.Optional(Type.Union([Type.Literal('required'), Type.Literal('opportunistic'), Type.Literal('off')])),
          auth: Type.Optional(
            Type.Object(
              {
                user: Type.String({ minLength: 1, maxLength: 256 }),
                /** the password, or the name of an environment variable holding it (keeps it out of the file) */
                pass: Type.Optional(Type.String({ maxLength: 1024 })),
                passEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
              },
              strict,
            ),
          ),
          from: Type.String({ minLength: 3, maxLength: 300 }),
        },
        strict,
      ),
    ),
    /** backoff and dead-letter caps of notification deliveries (webhooks keep `tickets.retry`) */
    retry: Type.Optional(
      Type.Object(
        {
          baseMs: Type.Optional(Type.Integer({ minimum: 1 })),
          maxMs: Type.Optional(Type.Integer({ minimum: 1 })),
          maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          maxAgeH: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 168 })),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type NotifyConfigInput = Static<typeof NotifyConfig>;

export interface Team {
  id: string;
  name: string;
  areas: string[];
  categories: string[] | null;
  faultClasses: string[] | null;
  channels: string[];
}

export type Channel =
  | { name: string; kind: 'wecom'; url: string; timeoutMs: number }
  | { name: string; kind: 'dingtalk'; url: string; secret: string | null; timeoutMs: number }
  | { name: string; kind: 'email'; timeoutMs: number };

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  starttls: 'required' | 'opportunistic' | 'off';
  auth: { user: string; pass: string } | null;
  from: string;
}

export interface NotifySettings {
  teams: Team[];
  defaultTeam: string | null;
  channels: Channel[];
  smtp: SmtpSettings | null;
  retry: { baseMs: number; maxMs: number; maxAttempts: number; maxAgeMs: number };
}

export interface NotifyProblem {
  path: string;
  message: string;
}

/** A P1 page is worth retrying for hours, not for the two days a webhook gets. */
export const DEFAULT_NOTIFY_RETRY = { baseMs: 2000, maxMs: 300_000, maxAttempts: 20, maxAgeMs: 4 * 3_600_000 };

/**
 * Fills defaults and checks what the schema cannot: names unique, a team's channels and the
 * default team known, its areas ones the stations have, email only with an SMTP transport,
 * channel names apart from webhook names (both are outbox receivers).
 */
export function resolveNotify(
  input: NotifyConfigInput | undefined,
  known: { areas: ReadonlySet<string>; webhooks: ReadonlySet<string>; partial?: WeakSet<object> },
  problems: NotifyProblem[],
  env: Record<string, string | undefined>,
): NotifySettings {
  const c = input ?? {};
  // a team or channel that failed the schema is reported there: no "unknown" for names it had
  const lost = (list: object | undefined) => known.partial?.has(list ?? c) ?? false;
  const lostTeams = lost(c.teams);
  const lostChannels = lost(c.channels);
  const channels: Channel[] = (c.channels ?? []).map((ch) => {
    const timeoutMs = ch.timeoutMs ?? 10_000;
    if (ch.kind === 'dingtalk') return { name: ch.name, kind: 'dingtalk', url: ch.url, secret: ch.secret ?? null, timeoutMs };
    if (ch.kind === 'wecom') return { name: ch.name, kind: 'wecom', url: ch.url, timeoutMs };
    return { name: ch.name, kind: 'email', timeoutMs };
  });
  const channelNames = new Set<string>();
  channels.forEach((ch, i) => {
    if (channelNames.has(ch.name)) problems.push({ path: `notify.channels[${i}].name`, message: `duplicate channel name '${ch.name}'` });
    if (known.webhooks.has(ch.name)) problems.push({ path: `notify.channels[${i}].name`, message: `'${ch.name}' is also a webhook's name (tickets.webhooks): outbox receivers need names of their own` });
    channelNames.add(ch.name);
    if (ch.kind === 'email' && !c.smtp) problems.push({ path: `notify.channels[${i}].kind`, message: 'an email channel needs notify.smtp' });
  });
  const teamIds = new Set<string>();
  const teams: Team[] = (c.teams ?? []).map((t, i) => {
    const path = `notify.teams[${i}]`;
    if (teamIds.has(t.id)) problems.push({ path: `${path}.id`, message: `duplicate team id '${t.id}'` });
    teamIds.add(t.id);
    t.areas.forEach((a, j) => {
      if (a !== '*' && !known.areas.has(a)) problems.push({ path: `${path}.areas[${j}]`, message: `no station is in area '${a}'${known.areas.size ? ` (areas: ${[...known.areas].join(', ')})` : ''}` });
    });
    (t.channels ?? []).forEach((n, j) => {
      if (!channelNames.has(n) && !lostChannels) problems.push({ path: `${path}.channels[${j}]`, message: `unknown channel '${n}'${channelNames.size ? ` (known: ${[...channelNames].join(', ')})` : ''}` });
    });
    return { id: t.id, name: t.name, areas: t.areas, categories: t.categories ?? null, faultClasses: t.faultClasses ?? null, channels: t.channels ?? channels.map((ch) => ch.name) };
  });
  if (c.defaultTeam !== undefined && !teamIds.has(c.defaultTeam) && !lostTeams) problems.push({ path: 'notify.defaultTeam', message: `unknown team '${c.defaultTeam}'` });
  let smtp: SmtpSettings | null = null;
  if (c.smtp) {
    const a = c.smtp.auth;
    let auth: SmtpSettings['auth'] = null;
    if (a) {
      if ((a.pass === undefined) === (a.passEnv === undefined)) problems.push({ path: 'notify.smtp.auth', message: 'give exactly one of pass or passEnv' });
      const pass = a.pass ?? (a.passEnv !== undefined ? env[a.passEnv] : undefined);
      if (a.passEnv !== undefined && pass === undefined) problems.push({ path: 'notify.smtp.auth.passEnv', message: `environment variable ${a.passEnv} is not set` });
      auth = { user: a.user, pass: pass ?? '' };
    }
    const secure = c.smtp.secure ?? false;
    if (secure && c.smtp.starttls !== undefined) problems.push({ path: 'notify.smtp.starttls', message: 'starttls applies without secure (secure is TLS from the start)' });
    smtp = { host: c.smtp.host, port: c.smtp.port ?? (secure ? 465 : 587), secure, starttls: c.smtp.starttls ?? 'opportunistic', auth, from: c.smtp.from };
  }
  const r = c.retry ?? {};
  return {
    teams,
    defaultTeam: c.defaultTeam ?? null,
    channels,
    smtp,
    retry: {
      baseMs: r.baseMs ?? DEFAULT_NOTIFY_RETRY.baseMs,
      maxMs: r.maxMs ?? DEFAULT_NOTIFY_RETRY.maxMs,
      maxAttempts: r.maxAttempts ?? DEFAULT_NOTIFY_RETRY.maxAttempts,
      maxAgeMs: r.maxAgeH !== undefined ? r.maxAgeH * 3_600_000 : DEFAULT_NOTIFY_RETRY.maxAgeMs,
    },
  };
}
