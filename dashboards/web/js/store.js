// Page state shared by the views: station list, latest key values, role, alarms and tickets.

/** Points shown on a station tile (the API's KEY_POINTS). */
export const KEY_POINTS = ['t_sec_supply', 't_sec_return', 'p_sec_return', 't_outdoor'];
export const KEY_UNITS = { t_sec_supply: 'degC', t_sec_return: 'degC', p_sec_return: 'MPa', t_outdoor: 'degC' };

export const state = {
  /** @type {any[]} stations as GET /api/stations gives them */
  stations: [],
  /** @type {Map<string, any>} */
  byId: new Map(),
  /** @type {Map<string, { ts: number, value: any, quality: string }>} latest sample per full point id */
  latest: new Map(),
  /** station id → full ids of its key points (from `values` keys + device that has them) */
  role: 'viewer',
  /** from GET /api/session: may write, and the ticket transitions the role may make by status */
  write: false,
  /** @type {Record<string, string[]>} */
  transitions: {},
  user: '',
  /** @type {any[] | null} null = alarm API not available */
  alarms: [],
  /** @type {any[] | null} */
  tickets: [],
  /** @type {Record<string, number> | null} GET /api/alarms/counts */
  counts: null,
  /** @type {Record<string, any[]>} suppressed / shelved / out_of_service, while a view shows them */
  views: {},
  /** @type {Map<string, any[]>} first-out alarm id → the suppressed alarms following from it */
  children: new Map(),
  /** @type {Map<string, any>} station id → its effective mode (GET /api/modes) */
  modes: new Map(),
};

/** @type {Map<string, Set<(arg?: any) => void>>} */
const topics = new Map();

/** @param {string} topic @param {(arg?: any) => void} fn */
export function on(topic, fn) {
  if (!topics.has(topic)) topics.set(topic, new Set());
  topics.get(topic)?.add(fn);
  return () => topics.get(topic)?.delete(fn);
}

/** @param {string} topic @param {any} [arg] */
export function emit(topic, arg) {
  for (const fn of topics.get(topic) ?? []) fn(arg);
}

/** The token may write (operator rank or above, qa included): the server says so in GET /api/session. */
export function isOperator() {
  return state.write;
}

/** Station id of a full point id `station.device.point`. */
export function stationOf(/** @type {string} */ point) {
  return point.slice(0, point.indexOf('.'));
}

/** Short point id (`t_sec_supply`) of a full one. */
export function leafOf(/** @type {string} */ point) {
  return point.slice(point.lastIndexOf('.') + 1);
}
