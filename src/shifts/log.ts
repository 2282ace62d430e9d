/**
 * The dispatchers' shift log: handover notes written during a shift and read by the next. A
 * note is checked whole before anything is written (bad input is a ShiftError naming the
 * field) and stored with its audit row in one transaction. Its author may change it while its
 * shift lasts; once the shift has ended it stays as written, and what was wrong is put right by
 * a new note that `corrects` it, so the next shift reads what was handed over and what followed.
 */
import type { AuditEntry } from '../state/state-store.ts';
import { shiftCalendar, type Shift, type ShiftCalendar } from './bounds.ts';
import type { ShiftSettings } from './config.ts';
import type { ShiftNoteStore, ShiftNote } from './store.ts';

export const NOTE_MAX_CHARS = 4000;

export class ShiftError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    /** the input field at fault, without `body.` */
    readonly field: string,
    /** what is wrong, without the field */
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

export interface ShiftActor {
  name: string;
  role: string;
}

/** What a dispatcher sends; checked here (the API's schema checks types first). */
export interface NoteInput {
  text: unknown;
  station?: unknown;
  ticket?: unknown;
  corrects?: unknown;
}

export interface ShiftLogOptions {
  store: ShiftNoteStore;
  settings: ShiftSettings;
  timeZone: string;
  /** station id → name, for checking references */
  stations: ReadonlyMap<string, unknown>;
  /** whether a ticket exists; absent: the ticket service is not deployed, so no note may name one */
  ticketExists?: (id: number) => boolean | Promise<boolean>;
  /** writes an audit row (StateStore.audit); awaited inside the note's transaction */
  audit: (e: AuditEntry) => unknown;
  now: () => number;
}

export class ShiftLog {
  readonly calendar: ShiftCalendar;

  constructor(private readonly o: ShiftLogOptions) {
    this.calendar = shiftCalendar(o.settings, o.timeZone);
  }

  /** Notes written during `shift`, in the order written. */
  notesOf(shift: Pick<Shift, 'start' | 'end'>): Promise<ShiftNote[]> {
    return this.o.store.between(shift.start, shift.end);
  }

  /** Writes a note into the shift in progress, as `actor`, now. */
  async add(input: NoteInput, actor: ShiftActor): Promise<ShiftNote> {
    const now = this.o.now();
    const refs = await this.check(input);
    let corrects: number | null = null;
    if (input.corrects !== undefined && input.corrects !== null) {
      const id = wholeNumber(input.corrects, 'corrects');
      if (!(await this.o.store.get(id))) throw new ShiftError(400, 'corrects', `no note ${id} to correct`);
      corrects = id;
    }
    const shift = this.calendar.at(now);
    return this.o.store.db.tx(async () => {
      const note = await this.o.store.insert({ ts: now, shiftStart: shift.start, shiftEnd: shift.end, author: actor.name, role: actor.role, ...refs, corrects });
      await this.o.audit({ ts: now, user: actor.name, role: actor.role, action: 'shift.note', target: `shift-note:${note.id}`, detail: { shift: shift.start, station: note.station, ticket: note.ticket, corrects, chars: charCount(note.text) } });
      return note;
    });
  }

  /** Changes a note: only its author, only while the shift it was written in lasts. */
  async edit(id: number, input: NoteInput, actor: ShiftActor): Promise<ShiftNote> {
    const now = this.o.now();
    // read in the edit's transaction: the audit's "before" is what this edit replaced, also when
    // another edit of the same note (through another instance) came just before
    return this.o.store.db.tx(async () => {
      const note = await this.o.store.get(id, true);
      if (!note) throw new ShiftError(404, 'id', `no note ${id}`);
      if (note.author !== actor.name) throw new ShiftError(403, 'id', `note ${id} is ${note.author}'s; add a note of your own that corrects it`);
      if (now >= note.shiftEnd) {
        throw new ShiftError(409, 'id', `the shift of note ${id} ended at ${new Date(note.shiftEnd).toISOString()}; a handed-over note stays as written: add a note with corrects: ${id}`);
      }
      const refs = await this.check(input);
      const next = { ...note, ...refs, editedAt: now };
      await this.o.store.update(id, next);
      await this.o.audit({ ts: now, user: actor.name, role: actor.role, action: 'shift.note_edit', target: `shift-note:${id}`, detail: { before: { text: note.text, station: note.station, ticket: note.ticket }, station: next.station, ticket: next.ticket } });
      return next;
    });
  }

  /** Whether a note can still be changed at `now` (its shift has not ended). */
  open(note: ShiftNote, now = this.o.now()): boolean {
    return now < note.shiftEnd;
  }

  private async check(input: NoteInput): Promise<Pick<ShiftNote, 'text' | 'station' | 'ticket'>> {
    if (typeof input.text !== 'string' || input.text.trim() === '') throw new ShiftError(400, 'text', 'required: what the next shift should know');
    const text = input.text.trim();
    if (charCount(text) > NOTE_MAX_CHARS) throw new ShiftError(400, 'text', `at most ${NOTE_MAX_CHARS} characters, got ${charCount(text)}`);
    let station: string | null = null;
    if (input.station !== undefined && input.station !== null && input.station !== '') {
      if (typeof input.station !== 'string' || !this.o.stations.has(input.station)) throw new ShiftError(400, 'station', `unknown station '${String(input.station)}'`);
      station = input.station;
    }
    let ticket: number | null = null;
    if (input.ticket !== undefined && input.ticket !== null) {
      const id = wholeNumber(input.ticket, 'ticket');
      if (!this.o.ticketExists) throw new ShiftError(400, 'ticket', 'tickets are not kept by this service');
      if (!(await this.o.ticketExists(id))) throw new ShiftError(400, 'ticket', `unknown ticket ${id}`);
      ticket = id;
    }
    return { text, station, ticket };
  }
}

/** Characters as a reader counts them (code points: a CJK extension character is one). */
const charCount = (s: string) => [...s].length;

function wholeNumber(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) throw new ShiftError(400, field, `must be a whole number from 1, got ${JSON.stringify(x)}`);
  return x;
}
