/**
 * The shift log (交接班): the shift in progress with the summary it opens with and the notes the
 * previous shift handed over, past shifts' notes, and writing a note. Read by any token, written
 * by operators and above (auth in `onRequest`, so a viewer gets 403 before any body check).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Shift } from '../../shifts/bounds.ts';
import { NOTE_MAX_CHARS, ShiftError, ShiftLog, type ShiftActor } from '../../shifts/log.ts';
import { ShiftNoteStore, type ShiftNote } from '../../shifts/store.ts';
import { buildShiftSummary } from '../../shifts/summary.ts';
import type { AppDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { range } from './alarms.ts';

/** the most breaches a summary lists (a storm's worth); more are cut, oldest kept */
const MAX_BREACHES = 500;
const HISTORY_MAX_DAYS = 31;

const NoteFields = {
  text: Type.String({ maxLength: NOTE_MAX_CHARS, description: `what the next shift should know, 1..${NOTE_MAX_CHARS} characters` }),
  station: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'a station the note is about' })),
  // the number first: with type coercion a string-first union would turn the id into text
  ticket: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'a ticket the note is about' })),
};
const NoteBody = Type.Object(
  { ...NoteFields, corrects: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'an earlier note (of any shift) this one corrects' })) },
  { additionalProperties: false },
);
/** what a note corrects is fixed when it is written */
const EditBody = Type.Object(NoteFields, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const RangeQuery = Type.Object(
  { from: Type.Optional(Type.String({ maxLength: 40 })), to: Type.Optional(Type.String({ maxLength: 40 })) },
  { additionalProperties: false },
);

const CODES = { 400: 'bad_request', 403: 'forbidden', 404: 'not_found', 409: 'conflict' } as const;
function apiError(e: unknown): unknown {
  if (!(e instanceof ShiftError)) return e;
  const field = e.field === 'id' ? 'params.id' : `body.${e.field}`;
  return new ApiError(e.status, CODES[e.status], `${field}: ${e.detail}`, field);
}

export const shiftRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const now = () => deps.now?.() ?? Date.now();
  const stations = new Map(deps.config.stations.map((s) => [s.id, s]));
  const store = await ShiftNoteStore.open(deps.state.db);
  const tickets = deps.tickets;
  const log = new ShiftLog({
    store,
    settings: deps.config.shifts,
    timeZone: deps.config.site.timezone,
    stations,
    ...(tickets ? { ticketExists: async (id: number) => (await tickets.get(id)) !== undefined } : {}),
    audit: (e) => deps.state.audit(e),
    now,
  });
  const read = { onRequest: async (req: FastifyRequest) => void deps.auth.require(req, 'viewer') };
  const write = { onRequest: async (req: FastifyRequest) => void deps.auth.require(req, 'operator') };
  const actor = (req: FastifyRequest): ShiftActor => ({ name: req.principal?.name ?? 'unknown', role: req.principal?.role ?? 'viewer' });

  /** a note as the page shows it: the station's name, and whether it can still be changed */
  const view = (n: ShiftNote, at: number) => ({ ...n, stationName: n.station ? (stations.get(n.station)?.name ?? n.station) : null, open: log.open(n, at) });
  const notes = async (s: Shift, at: number) => (await log.notesOf(s)).map((n) => view(n, at));

  app.get(
    '/api/shifts/current',
    {
      ...read,
      schema: {
        summary: "The shift in progress: its bounds, its notes, the previous shift's handover notes and a summary computed now",
        description:
          'summary: open tickets by priority, annunciated alarms by priority with the unacknowledged count, the deadlines tickets missed during the previous shift, and the stations in maintenance or stopped (source, until, reason). A part whose service is not deployed is null.',
      },
    },
    async () => {
      const at = now();
      const shift = log.calendar.at(at);
      const previous = log.calendar.at(shift.start - 1);
      const modes = deps.modes;
      const summary = buildShiftSummary({
        at,
        ...(tickets ? { openByPriority: await tickets.store.countOpenByPriority(), breaches: await store.breaches(previous.start, previous.end, MAX_BREACHES) } : {}),
        ...(deps.alarms ? { alarms: deps.alarms.list({ state: 'active' }) } : {}),
        ...(modes ? { stations: deps.config.stations.map((s) => ({ id: s.id, name: s.name, area: s.area ?? null, mode: modes.modeOf(s.id, at) })) } : {}),
      });
      return { timezone: log.calendar.timeZone, now: at, shift, previous, notes: await notes(shift, at), previousNotes: await notes(previous, at), summary };
    },
  );

  app.get(
    '/api/shifts',
    {
      ...read,
      schema: {
        summary: `Past shifts with their notes, newest first: the shifts overlapping [from, to) (default the last 7 days; at most ${HISTORY_MAX_DAYS} days)`,
        querystring: RangeQuery,
      },
    },
    async (req) => {
      const at = now();
      const r = range(req.query, at, 7 * 86_400_000, HISTORY_MAX_DAYS, '/api/shifts');
      const shifts = log.calendar.between(r.from, r.to, HISTORY_MAX_DAYS * 24 + 1);
      const all = shifts.length ? await store.between(shifts[0].start, shifts[shifts.length - 1].end) : [];
      const out = shifts.map((s) => ({ ...s, notes: all.filter((n) => n.ts >= s.start && n.ts < s.end).map((n) => view(n, at)) }));
      return { timezone: log.calendar.timeZone, from: r.from, to: r.to, shifts: out.reverse() };
    },
  );

  app.post(
    '/api/shifts/notes',
    { ...write, schema: { summary: 'Write a handover note into the shift in progress (operator); author and time from the session', body: NoteBody } },
    async (req, reply) => {
      try {
        const note = await log.add(req.body, actor(req));
        return reply.status(201).send(view(note, now()));
      } catch (e) {
        throw apiError(e);
      }
    },
  );

  app.put(
    '/api/shifts/notes/:id',
    {
      ...write,
      schema: {
        summary: "Change one's own note while its shift lasts; after the shift ended it stays as written (409): write a note that corrects it",
        params: IdParams,
        body: EditBody,
      },
    },
    async (req) => {
      try {
        return view(await log.edit(req.params.id, req.body, actor(req)), now());
      } catch (e) {
        throw apiError(e);
      }
    },
  );
};
