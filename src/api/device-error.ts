/**
 * What a viewer may see of a device's error: a category. The error text itself names the
 * endpoint and, for an OPC UA login, the user name; a wall display or a read-only token is no
 * place for either. Engineers and admins get the text as well (routes/stations.ts).
 *
 * @example
 *   deviceErrorCategory("opc.tcp://10.1.2.3:4840: login as 'plc-user' rejected by the server (BadUserAccessDenied): wrong username or password");
 *   // → 'auth'
 */

export type DeviceErrorCategory = 'auth' | 'certificate' | 'timeout' | 'refused' | 'unreachable' | 'closed' | 'protocol' | 'offline' | 'other';

/** First match wins: the more specific causes first. */
const RULES: Array<[DeviceErrorCategory, RegExp]> = [
  ['auth', /BadUserAccessDenied|BadIdentityToken|login .*rejected|wrong username or password|not authori[sz]ed|bad user ?name or password/i],
  ['certificate', /certificate|BadSecurity|security ?(mode|policy)/i],
  ['timeout', /timed? ?out|ETIMEDOUT|BadTimeout|not answering/i],
  ['refused', /ECONNREFUSED|connection refused/i],
  ['unreachable', /EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|no route to host|cannot find endpoint|no endpoint/i],
  ['closed', /ECONNRESET|EPIPE|connection (closed|lost)|session closed|not connected|BadSession|BadSecureChannel|BadConnectionClosed/i],
  ['protocol', /exception \d+|malformed|illegal|CRC|unexpected|byte count|Bad[A-Z][A-Za-z]+|protocol/i],
  ['offline', /is offline|comm[_ ]loss|no good data/i],
];

export function deviceErrorCategory(error: string): DeviceErrorCategory {
  for (const [category, re] of RULES) if (re.test(error)) return category;
  return 'other';
}
