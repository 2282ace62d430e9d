/**
 * The OPC UA client's PKI: a folder under the data directory (default `data/pki`), never the
 * home directory. Layout (node-opcua's): `own/certs/client_certificate.pem` and
 * `own/private/private_key.pem` (created on first use), `trusted/certs/` (server certificates
 * trusted explicitly), `rejected/` (certificates seen but not trusted).
 *
 * Server certificates are trusted only on purpose: from a device's `serverCertificate` file,
 * or by `heatwatch trust opc.tcp://...` which fetches and stores one after showing its
 * thumbprint. Unknown certificates are never accepted automatically.
 *
 * @example
 * const pki = await openPki('data/pki');
 * await trustCertificateFile(pki, 'config/plc-cert.der');
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { crypto_utils, MessageSecurityMode, OPCUAClient, SecurityPolicy } from 'node-opcua-client';

const opened = new Map<string, Promise<OPCUACertificateManager>>();

/** Opens (creating if needed) the PKI folder; one manager per folder per process. */
export function openPki(dir: string): Promise<OPCUACertificateManager> {
  const root = resolve(dir);
  let p = opened.get(root);
  if (!p) {
    p = (async () => {
      const cm = new OPCUACertificateManager({ rootFolder: root, automaticallyAcceptUnknownCertificate: false });
      await cm.initialize();
      return cm;
    })();
    opened.set(root, p);
    p.catch(() => opened.delete(root));
  }
  return p;
}

/** DER bytes of a PEM or DER certificate file. */
export function readCertificateFile(file: string): Buffer {
  const raw = readFileSync(file);
  const text = raw.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return Buffer.from(crypto_utils.convertPEMtoDER(text));
  return raw;
}

export function thumbprint(der: Buffer): string {
  return Buffer.from(crypto_utils.makeSHA1Thumbprint(der)).toString('hex');
}

/** Adds the certificate in `file` to the trusted store; returns its SHA-1 thumbprint. */
export async function trustCertificateFile(cm: OPCUACertificateManager, file: string): Promise<string> {
  const der = readCertificateFile(file);
  await cm.trustCertificate(der);
  return thumbprint(der);
}

export interface ServerCertificateInfo {
  der: Buffer;
  thumbprint: string;
  subject: string;
  notAfter: Date;
  /** security policies the server offers with this certificate */
  policies: string[];
}

/** A client without security that tries once: for discovery and browsing, never for data. */
export function unsecuredClient(cm: OPCUACertificateManager, timeoutMs?: number): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'heatwatch',
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager: cm,
    ...(timeoutMs !== undefined ? { transportTimeout: timeoutMs } : {}),
  });
}

/**
 * Asks a server for its endpoints (GetEndpoints over an unsecured channel, as OPC UA intends)
 * and returns the certificate it presents. Trusts nothing.
 */
export async function fetchServerCertificate(endpoint: string, cm: OPCUACertificateManager, timeoutMs = 10_000): Promise<ServerCertificateInfo> {
  const client = unsecuredClient(cm, timeoutMs);
  try {
    await client.connect(endpoint);
    const eps = await client.getEndpoints();
    const withCert = eps.filter((e) => e.serverCertificate && e.serverCertificate.length > 0);
    if (!withCert.length) throw new Error(`${endpoint}: the server presents no certificate (it offers security None only)`);
    const der = Buffer.from(withCert[0].serverCertificate!);
    // a certificate chain may follow the leaf certificate: keep the leaf
    const leaf = Buffer.from(crypto_utils.split_der(der)[0]);
    const info = crypto_utils.exploreCertificate(leaf);
    const subject = Object.entries(info.tbsCertificate.subject ?? {})
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    return {
      der: leaf,
      thumbprint: thumbprint(leaf),
      subject,
      notAfter: info.tbsCertificate.validity.notAfter,
      policies: [...new Set(withCert.map((e) => String(e.securityPolicyUri).split('#')[1] ?? String(e.securityPolicyUri)))],
    };
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}
