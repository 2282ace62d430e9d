/**
 * The one ranking of roles, used by the API's auth, the ticket lifecycle and (through
 * `GET /api/session`) the page: viewer < operator = qa < engineer < admin. `qa` writes like an
 * operator; the ticket lifecycle adds what only qa (and admin) may do, verifying a fix.
 *
 * @example
 * roleAtLeast('qa', 'operator'); // true
 */
export const ROLE_RANK = { viewer: 0, operator: 1, qa: 1, engineer: 2, admin: 3 } as const;

export type Role = keyof typeof ROLE_RANK;

/** Rank of a role name; an unknown name ranks below every role. */
export const rankOf = (role: string): number => (role in ROLE_RANK ? ROLE_RANK[role as Role] : -1);

export const roleAtLeast = (role: string, need: Role): boolean => rankOf(role) >= ROLE_RANK[need];
