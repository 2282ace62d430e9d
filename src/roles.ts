/**
 * The one ranking of roles, used by the API's auth, the ticket lifecycle and (through
 * `GET /api/session`) the page: viewer < operator = qa = supervisor < engineer < admin. `qa`
 * writes like an operator; the ticket lifecycle adds what only qa (and admin) may do, verifying
 * a fix. `supervisor` (值班长, the shift lead) also writes like an operator, and is with admin the
 * one who edits the on-call roster ({@link ROSTER_EDITORS}).
 *
 * @example
 * roleAtLeast('qa', 'operator'); // true
 */
export const ROLE_RANK = { viewer: 0, operator: 1, qa: 1, supervisor: 1, engineer: 2, admin: 3 } as const;

export type Role = keyof typeof ROLE_RANK;

/** Rank of a role name; an unknown name ranks below every role. */
export const rankOf = (role: string): number => (role in ROLE_RANK ? ROLE_RANK[role as Role] : -1);

export const roleAtLeast = (role: string, need: Role): boolean => rankOf(role) >= ROLE_RANK[need];

/** Who edits the on-call roster (src/notify): not a rank but these roles. */
export const ROSTER_EDITORS: readonly Role[] = ['supervisor', 'admin'];
