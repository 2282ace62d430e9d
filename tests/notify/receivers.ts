// Real receivers for the notification tests, on loopback port 0: a group robot in WeCom's or
// DingTalk's format (answers HTTP 200 with an errcode, scripted per path) and an SMTP server
// (smtp-server, auth optional, no STARTTLS) that keeps each message decoded.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface RobotMessage {
  path: string;
  content: string;
  mentioned: string[];
  /** DingTalk with a secret: the request's timestamp and sign checked against the secret */
  signed: boolean | null;
  /** the errcode this request was answered with */
  errcode: number;
}

/**
 * A robot answering errcode 0, or what `script(path, codes)` says: one code per request, the
 * last one for every request after it. Every request is recorded, accepted or not, so a test
 * sees the retries too.
 */
export class Robot {
  readonly requests: RobotMessage[] = [];
  private readonly scripts = new Map<string, number[]>();
  private server!: Server;
  base = '';

  constructor(
    readonly kind: 'wecom' | 'dingtalk',
    private readonly secret: string | null = null,
  ) {}

  /** Answers the next requests at `path` with these errcodes, the last one from then on. */
  script(path: string, codes: number[]): void {
    this.scripts.set(path, [...codes]);
  }

  /** Accepted messages (errcode 0). */
  accepted(path?: string): RobotMessage[] {
    return this.requests.filter((r) => r.errcode === 0 && (path === undefined || r.path === path));
  }

  url(path: string, query = ''): string {
    return `${this.base}${path}${query}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const j = JSON.parse(body) as { text: { content: string; mentioned_mobile_list?: string[] }; at?: { atMobiles: string[] } };
        const queue = this.scripts.get(u.pathname) ?? [];
        const code = queue.length > 1 ? queue.shift()! : (queue[0] ?? 0);
        let signed: boolean | null = null;
        if (this.secret !== null) {
          const ts = u.searchParams.get('timestamp') ?? '';
          const want = createHmac('sha256', this.secret).update(`${ts}\n${this.secret}`).digest('base64');
          // searchParams has already URL-decoded the sign; within DingTalk's hour of its clock
          signed = u.searchParams.get('sign') === want && Math.abs(Date.now() - Number(ts)) < 3_600_000;
        }
        const errcode = signed === false ? 310000 : code;
        this.requests.push({ path: u.pathname, content: j.text.content, mentioned: this.kind === 'wecom' ? (j.text.mentioned_mobile_list ?? []) : (j.at?.atMobiles ?? []), signed, errcode });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode, errmsg: errcode === 0 ? 'ok' : `scripted ${errcode}` }));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** An SMTP server on a free port keeping every message it is given, decoded. */
export class MailSink {
  readonly mails: Mail[] = [];
  port = 0;
  private server!: SMTPServer;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const m = decodeMail(Buffer.concat(chunks).toString('utf8'));
          this.mails.push({ ...m, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) });
          done();
        });
      },
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  to(address: string): Mail[] {
    return this.mails.filter((m) => m.to.includes(address));
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Subject and text of a single-part message as nodemailer writes it (base64 or quoted-printable, encoded words). */
export function decodeMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1] ?? '';
  const words = (s: string) =>
    s.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _cs, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : qp(data.replace(/_/g, ' ')),
    );
  const cte = header('Content-Transfer-Encoding').toLowerCase();
  const text = cte === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : cte === 'quoted-printable' ? qp(body.replace(/=\r\n/g, '')) : body;
  return { subject: words(header('Subject')), text: text.replace(/\r\n/g, '\n').trim() };
}

function qp(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
