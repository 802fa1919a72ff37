// The administration, the workbench's control and release, transit and the dashboards in a real
// browser against a real server: an administrator uploads a bad exchange-rate file and sees each
// bad line in a table, then a good one that loads; issues an API key (shown once, and it works)
// and revokes it (it stops working). An officer works a red declaration that is paid and arrived:
// the control buttons say why they wait for the task's finding; the finding releases it and the
// page shows the release order. A seal alert reaches the officers' queue and the movement's page
// and is acknowledged; the agent sees its movement without customs's alerts. The dashboards
// answer a chosen date range. Screenshots at desktop and phone width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { blNumber, expectStatus, lodgeDeclaration, lodgeManifest, roster, startJourney, untilStatus, type Journey } from '../e2e/cargo.ts';
import { movementBody, registerGuarantee, transitManifest } from '../e2e/transit-kit.ts';
import { field, launch, login as loginAt, newPage, open, shoot } from './browser.ts';
import { lodgeRedConsignment } from './red-consignment.ts';

let journey: Journey;
let browser: Browser;
let base: string;

const login = (page: Page, username: string) => loginAt(page, base, username);

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  base = journey.server.url;
  await roster(journey.server, 'kra.officer', 'MBA');
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await journey?.close();
});

const csv = (lines: string[]) => ({ name: 'rates-june.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });

describe('administration in the browser', () => {
  it('uploads exchange rates: a bad file shows its lines to fix and loads nothing, a good one loads', async () => {
    const { context, page } = await newPage(browser);
    await login(page, 'kra.admin');
    await open(page, 'Administration');
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    const file = page.locator('input[type="file"]');
    await file.setInputFiles(csv(['currency,rate,valid_from', 'NOK,13.0511,2026-06-10', 'XXQ,12.5,2026-06-10', 'DKK,-3,2026-13-01']));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const table = page.getByRole('table', { name: /Lines to fix \(3\)/ });
    await table.waitFor();
    const rows = await table.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^3currency.*XXQ/);
    expect(rows[1]).toMatch(/^4rate/);
    expect(rows[2]).toMatch(/^4valid_from/);
    await shoot(page, 'admin-upload-errors');
    const admin = await journey.server.as('kra.admin');
    expect((await admin.get('/api/v1/tariff/exchange-rates/NOK?date=2026-06-15')).status).toBe(422);

    await file.setInputFiles(csv(['currency,rate,valid_from', 'NOK,13.0511,2026-06-10', 'DKK,19.2204,2026-06-10']));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const result = page.getByTestId('upload-result');
    await result.waitFor();
    expect(await result.textContent()).toContain('2 rows checked; 2 loaded');
    expect(await page.getByRole('table', { name: /Lines to fix/ }).count()).toBe(0);
    const rate = await admin.get('/api/v1/tariff/exchange-rates/NOK?date=2026-06-15');
    expect(rate.status).toBe(200);
    expect(JSON.stringify(rate.body)).toContain('13.0511');
    await shoot(page, 'admin-upload-loaded');
    await context.close();
  });

  it('issues an API key shown once that works, and revokes it', async () => {
    const { context, page } = await newPage(browser);
    await login(page, 'kra.admin');
    await open(page, 'Administration');
    await page.getByRole('tab', { name: 'API keys' }).click();
    await field(page, 'Organisation code').fill('MAERSK');
    await field(page, 'System that uses it').fill('Maersk EDI gateway (browser test)');
    // The pills input sits under its wrapper, which opens the list on a click.
    await field(page, 'Roles').click({ force: true });
    await page.getByRole('option', { name: 'carrier', exact: true }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Issue the key' }).click();
    const shown = page.getByTestId('new-key');
    await shown.waitFor();
    const key = ((await shown.textContent()) ?? '').trim();
    expect(key.length).toBeGreaterThan(20);
    const me = await journey.server.key(key).get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.name).toBe('Maersk EDI gateway (browser test)');
    await shoot(page, 'admin-api-key');

    await page.getByRole('button', { name: 'Revoke Maersk EDI gateway (browser test)' }).click();
    await page.locator('[data-key-status="revoked"]').first().waitFor();
    expect((await journey.server.key(key).get('/api/v1/me')).status).toBe(401);
    await context.close();
  });
});

describe('the workbench in the browser', () => {
  it('shows an officer why the control waits for the finding, and the finding releases the paid, arrived goods', async () => {
    const { server } = journey;
    const { agent, manifest, declaration } = await lodgeRedConsignment(server, {
      rule: { name: 'Bicycles from Taiwan', reason: 'bicycles: check the count against the packing list', changeReason: 'browser test of the control panel' },
      hsCode: '8712.00.00', description: 'Bicycles', originCountry: 'TW', quantity: '30', itemPrice: '3000.00',
      tag: 'Y', expectedArrival: '2026-06-15T18:00:00+03:00',
    });
    const id = declaration.id;
    const registered = await agent.post(`/api/v1/declarations/${id}/register`);
    expectStatus(registered, 200);
    expectStatus(
      await server.key('demo-kcb-key').post('/api/v1/payments', { prn: registered.body.payment.prn, amount: registered.body.payment.amountDue, bankReference: `KCB-${registered.body.reference}`, paidAt: server.clock.now().toISOString() }),
      201,
    );
    server.clock.set('2026-06-15T11:00:00Z');
    expectStatus(await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T13:55:00+03:00' }), 200);
    await untilStatus(agent, id, 'paid', 15_000);

    const { context, page } = await newPage(browser);
    await login(page, 'kra.officer');
    await page.getByRole('heading', { name: 'Verification queue' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: registered.body.reference as string });
    await row.getByRole('link').first().click();
    const panel = page.getByTestId('control-panel');
    await panel.waitFor();
    // Paid and arrived; the control is the task's finding, so the buttons say why they wait.
    await expect.poll(() => panel.locator('[data-ok="true"]').count()).toBe(2);
    expect(await panel.getByRole('button', { name: 'Control passed' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('control-blocked').textContent()).toContain('Under verification');
    await shoot(page, 'task-control');

    await field(page, 'Remarks').fill('30 bicycles counted, as declared');
    await page.getByRole('button', { name: 'Save the finding' }).click();
    await untilStatus(agent, id, 'released', 15_000);
    await page.getByTestId('released').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('released').textContent()).toMatch(/release order \S+/);
    await shoot(page, 'task-released');
    await context.close();
  });
});

describe('transit in the browser', () => {
  it("puts a seal alert in the officers' queue and on the movement's page, and shows the agent its movement without it", async () => {
    const { server } = journey;
    await roster(server, 'kra.officer2', 'MAL');
    const guarantee = (await registerGuarantee(await server.as('kra.supervisor'), '3000000.00')).reference;
    const bl = blNumber('T');
    // Arrived half an hour before now (the test's clock), as the manifest's checks want.
    await transitManifest(server, [{ number: bl, packages: 20, grossMassKg: '800' }], new Date(server.clock.now().getTime() - 30 * 60_000).toISOString());
    const body = movementBody(bl, guarantee);
    const lodged = await (await server.as('siginon.agent')).post('/api/v1/transit/movements', body);
    expectStatus(lodged, 201);
    const movement = lodged.body as { id: string; reference: string };
    expectStatus(await (await server.as('kra.officer')).post(`/api/v1/transit/movements/${movement.id}/departure`, {}), 200);
    expectStatus(
      await server.key('demo-tracker-key').post('/api/v1/transit/seal-events', { eventId: `W-${movement.reference}`, sealId: body.seals[0], kind: 'seal_tampered', at: server.clock.now().toISOString(), latitude: -1.5, longitude: 37.2 }),
      201,
    );

    const { context, page } = await newPage(browser);
    await login(page, 'kra.officer');
    await open(page, 'Seal alerts');
    const alert = page.locator('[data-alert="seal_tampered"]').filter({ hasText: movement.reference });
    await alert.waitFor();
    await shoot(page, 'transit-alerts');
    await alert.getByRole('link', { name: movement.reference }).click();
    await page.getByRole('heading', { name: `Transit movement ${movement.reference}` }).waitFor();
    const onPage = page.getByTestId('alerts').locator('[data-alert="seal_tampered"]');
    await onPage.waitFor();
    expect(await page.getByText(body.seals[0] as string).count()).toBeGreaterThan(0);
    await shoot(page, 'transit-movement');
    await field(onPage, 'What was done').fill('Called the driver; escort sent from Mtito Andei');
    await onPage.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => onPage.getByText('Acknowledged', { exact: true }).count()).toBe(1);
    await context.close();

    const agentView = await newPage(browser);
    await login(agentView.page, 'siginon.agent');
    await open(agentView.page, 'Transit movements');
    const row = agentView.page.getByRole('row').filter({ hasText: movement.reference });
    await row.locator('[data-transit-status="departed"]').waitFor();
    await shoot(agentView.page, 'transit-movements');
    await row.getByRole('link', { name: movement.reference }).click();
    await agentView.page.getByRole('heading', { name: `Transit movement ${movement.reference}` }).waitFor();
    await agentView.page.getByTestId('transit-steps').locator('[data-action]').first().waitFor();
    expect(await agentView.page.getByTestId('alerts').count()).toBe(0);
    await agentView.context.close();
  });
});

describe('the dashboards in the browser', () => {
  it('answer a chosen date range with the per-day chart and totals', async () => {
    // A declaration lodged today (15 June), whatever else ran before.
    const bl = blNumber('D');
    await lodgeManifest(journey.server, '2026-06-15T18:00:00+03:00', [{ number: bl }]);
    await lodgeDeclaration(await journey.server.as('siginon.agent'), bl);
    const { context, page } = await newPage(browser);
    await login(page, 'kra.supervisor');
    await open(page, 'Dashboards');
    await field(page, 'From').fill('2026-06-01');
    await field(page, 'To').fill('2026-06-30');
    await page.getByRole('img', { name: /per day, 2026-06-01 to 2026-06-30/ }).waitFor();
    // The range is in the address: opened again, the same dashboard.
    expect(page.url()).toContain('/dashboard?from=2026-06-01&to=2026-06-30');
    const api = await (await journey.server.as('kra.supervisor')).get('/api/v1/stats?from=2026-06-01&to=2026-06-30');
    const lodged = (api.body.perDay as { lodged: number }[]).reduce((a, d) => a + d.lodged, 0);
    expect(lodged).toBeGreaterThan(0);
    await expect.poll(async () => (await page.getByTestId('total-lodged').textContent())?.trim()).toBe(String(lodged));
    await page.getByRole('heading', { name: 'Channel mix and hit rates' }).waitFor();
    await shoot(page, 'dashboard-range');
    await context.close();
  });
});
