/**
 * Attachment rules (pure): the per-ticket quota (`tickets.attachments.maxPerTicket`,
 * `maxTicketBytes`) and the headers of a download. The quota is checked before an upload is
 * streamed and again in the transaction that records it (two uploads may race).
 *
 * @example
 *   quotaProblem({ count: 20, bytes: 1e6 }, 0, { maxPerTicket: 20, maxTicketBytes: 2e8 }, 7);
 *   // → { code: 'conflict', message: 'ticket 7 has 20 attachments, the most tickets.attachments.maxPerTicket allows' }
 *   contentDisposition('现场 "1".jpg'); // → `attachment; filename="__ _1_.jpg"; filename*=UTF-8''%E7%8E%B0...`
 */

export interface AttachmentUsage {
  count: number;
  bytes: number;
}

export interface AttachmentQuota {
  maxPerTicket: number;
  maxTicketBytes: number;
}

/** Why one more attachment of `size` bytes would break the quota (409 count, 400 bytes), or null. */
export function quotaProblem(used: AttachmentUsage, size: number, q: AttachmentQuota, ticketId: number): { code: 'conflict' | 'too_large'; message: string } | null {
  if (used.count >= q.maxPerTicket) return { code: 'conflict', message: `ticket ${ticketId} has ${used.count} attachments, the most tickets.attachments.maxPerTicket allows` };
  if (used.bytes + size > q.maxTicketBytes) {
    return { code: 'too_large', message: `ticket ${ticketId}'s attachments would total ${used.bytes + size} bytes, more than tickets.attachments.maxTicketBytes (${q.maxTicketBytes})` };
  }
  return null;
}

/**
 * `Content-Disposition` for a download: always `attachment` (never rendered in the page's
 * origin), an ASCII fallback name without quotes or control characters, and the real name
 * RFC 5987-encoded (`'()*` escaped too, which encodeURIComponent leaves).
 */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_').trim() || 'attachment';
  const ext = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${ext}`;
}

/** Headers of every attachment download: the stored type only if still allowed, and no sniffing. */
export function downloadHeaders(a: { filename: string; mime: string }, allowedTypes: readonly string[]): Record<string, string> {
  return {
    'content-type': allowedTypes.includes(a.mime) ? a.mime : 'application/octet-stream',
    'content-disposition': contentDisposition(a.filename),
    'x-content-type-options': 'nosniff',
    // opened directly, an upload still may not run script in heatwatch's origin
    'content-security-policy': "default-src 'none'; sandbox",
  };
}
