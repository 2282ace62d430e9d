/**
 * What an OPC UA failure means: a clear one-line reason for the log and the device's status,
 * whether it is a configuration problem that will not go away by itself, and whether the
 * session or channel is gone so the connection must be rebuilt.
 */
import { StatusCodes } from 'node-opcua-client';
import type { DevicePlan } from './plan.ts';

/** statuses after which the session or channel is gone and the connection is rebuilt */
const CONNECTION_LEVEL = new Set<number>([
  StatusCodes.BadSessionIdInvalid.value,
  StatusCodes.BadSessionClosed.value,
  StatusCodes.BadSessionNotActivated.value,
  StatusCodes.BadSecureChannelClosed.value,
  StatusCodes.BadSecureChannelIdInvalid.value,
  StatusCodes.BadConnectionClosed.value,
  StatusCodes.BadCommunicationError.value,
  StatusCodes.BadTimeout.value,
  StatusCodes.BadServerHalted.value,
]);

/** True when a failed request (`reason` from {@link explain}) means the connection is gone. */
export function isConnectionLevel(err: unknown, reason: string): boolean {
  const code = (err as { statusCode?: { value: number } } | null)?.statusCode?.value;
  return (code !== undefined && CONNECTION_LEVEL.has(code)) || /timed out|closed|BadSession|BadSecureChannel/i.test(reason);
}

/** Rejects with "`what`: timed out after `ms` ms" when `p` has not settled by then. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A refusal that retrying will not cure: credentials, certificates, security mode or policy. */
export function isConfigError(err: unknown): boolean {
  return /BadUserAccessDenied|BadIdentityToken|Certificate verification failed|BadCertificate|BadSecurityPolicyRejected|cannot find endpoint|BadSecurityModeRejected/i.test(errorText(err));
}

/** A clear one-line reason for a connection failure, with what to do about it. */
export function explain(err: unknown, endpoint: string, o: DevicePlan['options']): string {
  const m = errorText(err).split('\n')[0];
  if (/BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/.test(m)) {
    const code = /Bad[A-Za-z]+/.exec(m)?.[0] ?? 'BadUserAccessDenied';
    return o.username
      ? `${endpoint}: login as '${o.username}' rejected by the server (${code}): wrong username or password`
      : `${endpoint}: anonymous login rejected by the server (${code}): set username and password`;
  }
  if (/Certificate verification failed|BadCertificateUntrusted/i.test(m)) {
    return `${endpoint}: the server certificate is not trusted (${/Bad[A-Za-z]+/.exec(m)?.[0] ?? 'untrusted'}); set the device's serverCertificate or run 'heatwatch trust ${endpoint} --pki <pkiDir>'`;
  }
  if (/ECONNREFUSED/.test(m)) return `${endpoint}: connection refused`;
  if (/cannot find endpoint|no endpoint/i.test(m)) return `${endpoint}: the server offers no endpoint with ${o.securityMode}/${o.securityPolicy}`;
  return `${endpoint}: ${m}`;
}
