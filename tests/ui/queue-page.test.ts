// The ticket queue in headless Chromium on a seeded store (600 open tickets, 5,000 closed): every
// open one is listed, paged in from the API, next deadline first; and each role gets the buttons
// the API lets it use (a qa user verifies, an operator dispatches but does not verify).
// Screenshots go to tests/artifacts/ (gitignored).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket, TicketPriority, TicketStatus } from '../../src/tickets/types.ts';
import { artifactPath, launchBrowser, openPage, startStack, type Stack } from './stack.ts';

const OPEN = 600;
const CLOSED = 5000;
const QA = 'qa-token-0123456789abcdef';
const PRIOS: TicketPriority[] = ['P1', 'P2', 'P3', 'P4'];
const WORKING: TicketStatus[] = ['open', 'dispatched', 'in_progress', 'resolved', 'reopened'];

let stack: Stack;
let browser: Browser;

async function seed(): Promise<void> {
  const store = stack.svc.tickets.store;
  const now = Date.now();
  const base = (i: number, status: TicketStatus): Omit<Ticket, 'id'> => ({
    key: null, kind: 'single', source: 'manual', status, priority: PRIOS[i % 4], title: `seeded ${i}`, description: 'seeded', station: null, area: null,
    faultClass: null, equipment: null, category: null, customer: null, stations: [], alarmIds: [], occurrences: 1, firstSeen: now, lastSeen: now,
    peakValue: null, repeat: false, linkedTo: null, incidentId: null, team: 'crew-1', assignee: null, createdAt: now - 86_400_000 + i, updatedAt: now,
    respondedAt: status === 'open' || status === 'reopened' ? null : now, onSiteAt: null, resolvedAt: status === 'resolved' || status === 'closed' ? now : null,
    closedAt: status === 'closed' ? now : null, breaches: {}, escalation: 0, callbackDone: false,
    // some already breached, the rest due over the next hours
    respondBy: now + ((i * 7919) % 600 - 60) * 60_000, onSiteBy: null, resolveBy: now + 86_400_000 + i * 1000,
  });
  await store.db.tx(async () => {
    for (let i = 0; i < CLOSED; i++) await store.insert(base(i, 'closed'));
    for (let i = 0; i < OPEN; i++) await store.insert(base(CLOSED + i, WORKING[i % WORKING.length]));
  });
}

const openQueue = (token: string): Promise<Page> => openPage(browser, stack, token);

beforeAll(async () => {
  stack = await startStack({ stations: 2, pollMs: 1000, tokens: [{ name: 'qa-1', token: QA, role: 'qa' }] });
  await seed();
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the ticket queue page', () => {
  it('lists every open ticket of 5,600, paged in from the API, next deadline first', async () => {
    const api = async (q: string) => fetch(`${stack.url}/api/tickets${q}`, { headers: { authorization: 'Bearer demo-read' } });
    const counts = (await (await api('/counts')).json()) as { total: number; byStatus: Record<string, number> };
    expect(counts.byStatus.closed).toBe(CLOSED);
    expect(counts.total).toBeGreaterThanOrEqual(OPEN);
    // the page asks for 1,000 at a time: more than one page exists when asked for fewer
    const first = await api('?limit=500');
    expect(first.headers.get('x-next-cursor')).toBeTruthy();
    await first.arrayBuffer(); // a client reads what it asked for

    const page = await openQueue('demo-read');
    const rows = page.locator('tr[data-ticket]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(counts.total);
    // in the server's deadline order, page after page
    const order: string[] = [];
    for (let cursor = ''; ; ) {
      const r = await api(`?sort=deadline&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      order.push(...((await r.json()) as Array<{ id: number }>).map((t) => String(t.id)));
      cursor = r.headers.get('x-next-cursor') ?? '';
      if (!cursor) break;
    }
    expect(await page.$$eval('tr[data-ticket]', (trs) => trs.map((tr) => tr.getAttribute('data-ticket')))).toEqual(order);
    await page.screenshot({ path: artifactPath('queue-600.png') });
    await page.context().close();
  });

  it('a qa user gets the verify button on a resolved ticket, an operator only the buttons an operator may use', async () => {
    const qa = await openQueue(QA);
    const resolved = qa.locator('tr[data-status="resolved"]').first();
    await resolved.waitFor({ timeout: 30_000 });
    expect(await resolved.locator('button.btn-to-verified').count()).toBe(1);
    expect(await qa.locator('#who').textContent()).toBe('qa-1 · 质检');
    await qa.screenshot({ path: artifactPath('queue-qa.png') });
    await qa.context().close();

    const op = await openQueue('demo-operator');
    const opRows = op.locator('tr[data-ticket]');
    await expect.poll(() => opRows.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(OPEN);
    expect(await op.locator('button.btn-to-verified').count()).toBe(0);
    expect(await op.locator('button.btn-to-dispatched').count()).toBeGreaterThan(0);
    await op.context().close();
  });
});
