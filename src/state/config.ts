/**
 * `storage.state`: where alarms, tickets, audit, the outbox, modes and the rest of the state
 * live. SQLite (a file, the embedded default) for one instance; PostgreSQL for several `serve`
 * instances sharing the work.
 *
 * @example
 * storage:
 *   state: { kind: postgresql, url: postgres://heatwatch@db1:5432/heatwatch, files: /srv/heatwatch }
 */
import { dirname } from 'node:path';
import Type, { type Static } from 'typebox';
import { StateRetentionConfig } from './retention.ts';

const strict = { additionalProperties: false };

export const StateStorageConfig = Type.Union([
  Type.Object({ kind: Type.Literal('sqlite'), path: Type.String({ minLength: 1 }), retention: Type.Optional(StateRetentionConfig) }, strict),
  Type.Object(
    {
      kind: Type.Literal('postgresql'),
      /** postgres://user:password@host:5432/db; the password is never logged */
      url: Type.String({ minLength: 1, pattern: '^postgres(ql)?://' }),
      /** connections per instance (default 8) */
      pool: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      /** the folder for files beside the state (attachments, report files); default `data` */
      files: Type.Optional(Type.String({ minLength: 1 })),
      retention: Type.Optional(StateRetentionConfig),
    },
    strict,
  ),
]);
export type StateStorageSettings = Static<typeof StateStorageConfig>;

/** The folder for the state's files: beside the SQLite file, or `files` (default `data`). */
export function stateFilesDir(s: StateStorageSettings): string {
  return s.kind === 'sqlite' ? dirname(s.path) : (s.files ?? 'data');
}
