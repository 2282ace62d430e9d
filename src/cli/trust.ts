import { parseArgs } from 'node:util';
import { fetchServerCertificate, openPki } from '../adapters/opcua/pki.ts';

const USAGE = 'usage: heatwatch trust opc.tcp://host:port [--pki DIR]   (DIR default data/pki; use the config\'s opcua.pkiDir)\n';

/**
 * Fetches a server's certificate and stores it in the client PKI's trusted folder, printing
 * what it trusted so the operator can compare the thumbprint with the device's.
 * @example const r = await trustServer('opc.tcp://127.0.0.1:4840', 'data/pki'); r.thumbprint
 */
export async function trustServer(endpoint: string, pkiDir: string): Promise<{ thumbprint: string; subject: string; notAfter: Date; file: string }> {
  const cm = await openPki(pkiDir);
  const info = await fetchServerCertificate(endpoint, cm);
  await cm.trustCertificate(info.der);
  return { thumbprint: info.thumbprint, subject: info.subject, notAfter: info.notAfter, file: `${cm.rootDir}/trusted/certs` };
}

/** `heatwatch trust`: exit 0 when stored, 1 when the server cannot be reached, 2 on usage errors. */
export async function runTrust(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { pki: { type: 'string', default: 'data/pki' } } });
  const endpoint = positionals[0];
  if (!endpoint || !endpoint.startsWith('opc.tcp://') || positionals.length > 1) {
    process.stderr.write(`heatwatch trust: give one opc.tcp:// endpoint\n${USAGE}`);
    return 2;
  }
  try {
    const r = await trustServer(endpoint, values.pki!);
    process.stdout.write(
      [
        `trusted the certificate of ${endpoint}`,
        `  subject     ${r.subject}`,
        `  SHA-1       ${r.thumbprint}`,
        `  valid until ${r.notAfter.toISOString()}`,
        `  stored in   ${r.file}`,
        '  compare the thumbprint with the one shown on the device before relying on it',
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`heatwatch trust: ${(err as Error).message}\n`);
    return 1;
  }
}
