// The web in a real browser (Debian's Chromium driven by playwright-core) against a real server
// with the built web: the public calculator gives the API's figures and switches to Kiswahili; an
// agent logs in, lodges a declaration through the form, sees the server's field error at its
// field, fixes it, sees the assessment and takes the PRN; the bank pays and the vessel arrives
// through the API; the timeline shows the consignment released; an officer finds a red
// declaration in the queue and records a finding. Screenshots of each main page at desktop
// (1280) and phone (390) width go to test-artifacts/screenshots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { blNumber, expectStatus, lodgeManifest, roster, startJourney, untilStatus, waitFor, type Journey } from '../e2e/cargo.ts';
import { field, fieldErrors, figure, fillItem, launch, login as loginAt, newPage as pageIn, shoot } from './browser.ts';
import { lodgeRedConsignment } from './red-consignment.ts';

let journey: Journey;
let browser: Browser;
let base: string;

const newPage = () => pageIn(browser);
const login = (page: Page, username: string) => loginAt(page, base, username);

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  base = journey.server.url;
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await journey?.close();
});

describe('the web in a browser', () => {
  it('serves the app for its own paths and keeps the API and documentation as they were', async () => {
    const page = await fetch(`${base}/portal/declarations/new`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<div id="root">');
    const api = await fetch(`${base}/api/v1/no-such-thing`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('calculates on the public page the same figures as the API, shares them by link, and speaks Kiswahili', async () => {
    const { context, page } = await newPage();
    await page.goto(`${base}/`);
    await shoot(page, 'home');
    await page.getByRole('link', { name: 'Duty calculator' }).first().click();
    await field(page, 'Freight').fill('100');
    const hs = field(page, 'HS code');
    await hs.fill('laptop');
    // The autocomplete searches the tariff by words and offers the line.
    await page.getByRole('option', { name: /8471\.30\.00/ }).click();
    await expect.poll(() => hs.inputValue()).toBe('8471.30.00');
    await field(page, 'Origin (country code)').fill('CN');
    await field(page, 'FOB value').fill('1000');
    await page.getByRole('button', { name: 'Calculate' }).click();
    const total = page.getByTestId('calc-total');
    await total.waitFor();

    const api = await journey.server.anonymous().post('/api/v1/calculator', { currency: 'USD', freight: '100', items: [{ hsCode: '8471.30.00', originCountry: 'CN', fob: '1000' }] });
    expectStatus(api, 200);
    expect(figure(await total.textContent())).toBe(api.body.total);
    for (const tax of api.body.items[0].taxes as { code: string; amount: string }[]) {
      expect(figure(await page.locator(`[data-tax="${tax.code}"]`).first().textContent())).toBe(tax.amount);
    }
    // Every rule the API used is listed.
    for (const rule of api.body.rulesUsed as { kind: string; id: string }[]) {
      await expect.poll(() => page.getByText(`${rule.kind}:${rule.id}`, { exact: true }).count()).toBeGreaterThan(0);
    }
    await shoot(page, 'calculator');

    // The address carries the inputs: opened elsewhere, it computes the same total.
    const shared = page.url();
    expect(shared).toContain('/calculator?in=');
    const other = await context.newPage();
    await other.goto(shared);
    await expect.poll(async () => figure(await other.getByTestId('calc-total').textContent())).toBe(api.body.total);
    await other.close();

    // Kiswahili: the labels change, and back.
    await page.getByText('Kiswahili', { exact: true }).click();
    await page.getByRole('heading', { name: 'Kikokotoo cha ushuru' }).waitFor();
    expect(await field(page, 'Namba ya HS').count()).toBe(1);
    expect(await field(page, 'HS code').count()).toBe(0);
    expect(await page.evaluate('document.documentElement.lang')).toBe('sw');
    await shoot(page, 'calculator-sw');
    await page.getByText('English', { exact: true }).click();
    await page.getByRole('heading', { name: 'Duty calculator' }).waitFor();

    await page.getByRole('link', { name: 'Consignment status' }).first().click();
    await page.getByRole('heading', { name: 'Consignment status' }).waitFor();
    await shoot(page, 'status');
    await context.close();
  });

  it('lets an agent lodge a declaration through the form, fix a field error, pay and follow it to release', async () => {
    const { server } = journey;
    const bl = blNumber('W');
    const manifest = await lodgeManifest(server, '2026-06-15T14:00:00+03:00', [{ number: bl, packages: 20, grossMassKg: '900' }]);
    const { context, page } = await newPage();

    await page.goto(`${base}/login`);
    await shoot(page, 'login');
    await login(page, 'siginon.agent');
    await page.getByRole('heading', { name: 'My consignments' }).waitFor();
    // The session is in memory only: nothing in storage, no cookie.
    expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
    expect(await context.cookies()).toEqual([]);

    await page.getByRole('link', { name: 'Lodge a declaration' }).first().click();
    await page.getByRole('heading', { name: 'Lodge a declaration' }).waitFor();
    await field(page, 'Importer PIN').fill('P051234567A');
    await page.getByRole('textbox', { name: /^Bill of lading/ }).fill(bl);
    await field(page, 'Freight').fill('900.00');
    await field(page, 'Number').fill('INV-2026-0612');
    // A tariff line that does not exist: the server says so at the field.
    const hs = await fillItem(page, {
      hsCode: '8471.30.99', description: 'Laptop computers, 14 inch', origin: 'CN', itemPrice: '12000.00',
      quantity: '50', netMassKg: '100', grossMassKg: '900', packages: '20',
    });
    await page.getByRole('button', { name: 'Lodge the declaration' }).click();

    await expect.poll(() => hs.getAttribute('aria-invalid')).toBe('true');
    expect(await fieldErrors(page, hs)).toContain('8471.30.99 is not in the tariff');
    await shoot(page, 'declaration-form-error');

    await hs.fill('8471.30.00');
    await hs.press('Escape');
    await expect.poll(async () => (await page.getByTestId('duty-preview').textContent()) ?? '').toMatch(/KES [\d,]+\.\d\d/);
    await page.getByRole('button', { name: 'Lodge the declaration' }).click();
    await page.getByTestId('assessment-total').waitFor();
    const id = page.url().split('/').at(-1)!;
    const agent = await server.as('siginon.agent');
    const lodged = (await agent.get(`/api/v1/declarations/${id}`)).body;
    expect(lodged.status).toBe('assessed');
    expect(lodged.items[0].hsCode).toBe('8471.30.00');
    expect(figure(await page.getByTestId('assessment-total').textContent())).toBe(lodged.assessment.total);
    await shoot(page, 'declaration-assessed');

    // Accept the assessment: registered, with its PRN.
    await page.getByRole('button', { name: 'Accept and get the PRN' }).click();
    const prnText = figure(await page.getByTestId('prn').textContent());
    const registered = (await agent.get(`/api/v1/declarations/${id}`)).body;
    expect(registered.status).toBe('registered');
    expect(prnText).toBe(registered.payment.prn);

    // The bank pays and the vessel arrives, through the API.
    expectStatus(
      await server.key('demo-kcb-key').post('/api/v1/payments', { prn: registered.payment.prn, amount: registered.payment.amountDue, bankReference: `KCB-${registered.reference}`, paidAt: server.clock.now().toISOString() }),
      201,
    );
    server.clock.set('2026-06-15T11:00:00Z');
    expectStatus(await server.key('demo-maersk-key').post(`/api/v1/manifests/${manifest.id}/arrival`, { actualArrival: '2026-06-15T13:55:00+03:00' }), 200);
    await untilStatus(agent, id, 'released', 15_000);

    // The page follows by itself: the timeline shows the release.
    const timeline = page.getByTestId('timeline');
    await expect.poll(() => timeline.locator('[data-action="declaration.released"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-status="released"]').count()).toBeGreaterThan(0);
    await shoot(page, 'declaration-released');

    // The public status page tells the same, without figures.
    await page.getByRole('link', { name: 'Consignment status' }).first().click();
    await page.getByRole('textbox', { name: /^Bill of lading/ }).fill(bl);
    await page.getByRole('button', { name: 'Show status' }).click();
    await page.getByTestId('public-status').locator('[data-status="released"]').waitFor();
    await shoot(page, 'status-result');

    // The consignment is in the agent's list, released.
    await page.getByRole('link', { name: 'My consignments' }).first().click();
    await page.getByRole('link', { name: registered.reference }).waitFor();
    await shoot(page, 'consignments');
    await context.close();
  });

  it('lets an officer find a red declaration in the queue and record a finding', async () => {
    const { server } = journey;
    const reason = 'cotton T-shirts from BD: check the count and the price';
    await roster(server, 'kra.officer', 'MBA');
    const { declaration } = await lodgeRedConsignment(server, {
      rule: { name: 'T-shirts from Bangladesh', reason, changeReason: 'under-invoicing of garments reported by the long room' },
      hsCode: '6109.10.00', description: 'T-shirts of cotton', originCountry: 'BD', quantity: '1000', itemPrice: '2000.00',
      tag: 'X', expectedArrival: '2026-06-15T18:00:00+03:00',
    });
    const reference = declaration.reference;

    const { context, page } = await newPage();
    await login(page, 'kra.officer');
    await page.getByRole('heading', { name: 'Verification queue' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: reference });
    await row.waitFor();
    expect(await row.locator('[data-channel="red"]').count()).toBe(1);
    await shoot(page, 'queue');

    await row.getByRole('link').first().click();
    await page.getByText(reason).waitFor();
    await page.getByText('Discrepancy', { exact: true }).click();
    await page.getByRole('button', { name: 'Add a correction' }).click();
    await field(page, 'Correct value').fill('2600.00');
    await field(page, 'Remarks').fill('1,000 T-shirts counted; the supplier price list shows USD 2.60 each');
    await shoot(page, 'task-finding');
    await page.getByRole('button', { name: 'Save the finding' }).click();
    await page.getByTestId('findings').waitFor();
    await expect.poll(() => page.locator('[data-status="awaiting_declarant"]').count()).toBeGreaterThan(0);

    const { value: task } = await waitFor(async () => {
      const tasks = await (await server.as('kra.officer')).get('/api/v1/inspection/tasks?assignedTo=me');
      return (tasks.body.items as { declaration: { reference: string }; status: string; amendment: unknown }[]).find((t) => t.declaration.reference === reference);
    });
    expect(task.status).toBe('awaiting_declarant');
    expect(JSON.stringify(task.amendment)).toContain('2600.00');
    await shoot(page, 'task-recorded');

    // The dashboards over the day: the red declaration lodged, the channel mix.
    await page.getByRole('link', { name: 'Dashboards' }).first().click();
    await page.getByRole('heading', { name: 'Channel mix and hit rates' }).waitFor();
    await shoot(page, 'dashboard');
    await context.close();
  });
});
