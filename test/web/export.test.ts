// Exports in a real browser (npm run test:e2e): an agent lodges an EX1 of raw hides through the
// export form, sees the server's field error at its field (Kenya is no destination for an export),
// fixes it, sees the hides levy and takes the PRN; the bank pays and the terminal at Mombasa
// confirms the exit through the API; the page shows the export exited and its proof of exit opens;
// the export is in the agent's consignments. An officer on duty at Malaba confirms the exit of tea
// crossing to Uganda on the export's page. Screenshots at desktop and phone width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { expectStatus, roster, startJourney, untilStatus, type Journey } from '../e2e/cargo.ts';
import { exporterPin, lodgeExport, registerAndPay, teaExport } from '../e2e/export-kit.ts';
import { field, fieldErrors, figure, fillItem, launch, login, newPage, shoot } from './browser.ts';

let journey: Journey;
let browser: Browser;
let base: string;

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  base = journey.server.url;
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await journey?.close();
});

describe('exports in the browser', () => {
  it('lets an agent lodge an export through the form, fix a field error, and follow it to its exit and proof of exit', async () => {
    const { server } = journey;
    const { context, page } = await newPage(browser);
    await login(page, base, 'siginon.agent');
    await page.getByRole('heading', { name: 'My consignments' }).waitFor();

    await page.getByRole('link', { name: 'Lodge an export' }).first().click();
    await page.getByRole('heading', { name: 'Lodge an export' }).waitFor();
    await field(page, 'Exporter PIN').fill(exporterPin);
    expect(await field(page, 'Office of exit').inputValue()).toBe('MBA');
    // Kenya is where an export leaves from, not where it goes: the server says so at the field.
    const destination = field(page, 'Destination (country code)');
    await destination.fill('KE');
    await field(page, 'Goods location').fill('Rift Valley Hides warehouse, Nakuru');
    await field(page, 'Number').fill('RVH-INV-2026-0042');
    await fillItem(page, {
      hsCode: '4101.50.00', description: 'Whole raw bovine hides, wet salted', origin: 'KE', itemPrice: '30000.00',
      quantity: '20000', unit: 'KGM', netMassKg: '20000', grossMassKg: '20400', packages: '40',
    });
    await page.getByRole('button', { name: 'Lodge the export' }).click();

    await expect.poll(() => destination.getAttribute('aria-invalid')).toBe('true');
    expect(await fieldErrors(page, destination)).toContain('the destination is another country');
    // Nothing was lodged.
    const agent = await server.as('siginon.agent');
    expect(((await agent.get('/api/v1/declarations?limit=50')).body.items as { exitOfficeCode: string | null }[]).filter((d) => d.exitOfficeCode).length).toBe(0);
    await shoot(page, 'export-form-error');

    await destination.fill('IT');
    await page.getByRole('button', { name: 'Lodge the export' }).click();
    await page.getByTestId('assessment-total').waitFor();
    const id = page.url().split('/').at(-1)!;
    const lodged = (await agent.get(`/api/v1/declarations/${id}`)).body;
    expect(lodged.status).toBe('assessed');
    expect(lodged.export).toMatchObject({ exporterPin, exitOfficeCode: 'MBA', destinationCountry: 'IT' });
    // The hides levy, as the server assessed it.
    expect(figure(await page.getByTestId('assessment-total').textContent())).toBe(lodged.assessment.total);
    expect(lodged.assessment.totals.EXL).toBe(lodged.assessment.total);
    await page.getByTestId('export').getByText('Not yet confirmed as exited').waitFor();
    expect(await page.getByRole('button', { name: 'Confirm the exit' }).count()).toBe(0);
    await shoot(page, 'export-assessed');

    await page.getByRole('button', { name: 'Accept and get the PRN' }).click();
    const prn = figure(await page.getByTestId('prn').textContent());
    const registered = (await agent.get(`/api/v1/declarations/${id}`)).body;
    expect(prn).toBe(registered.payment.prn);

    // The bank pays (released for loading), the terminal at Mombasa confirms the loading, through the API.
    expectStatus(
      await server.key('demo-kcb-key').post('/api/v1/payments', { prn, amount: registered.payment.amountDue, bankReference: `KCB-${registered.reference}`, paidAt: server.clock.now().toISOString() }),
      201,
    );
    await untilStatus(agent, id, 'released', 15_000);
    expectStatus(await server.key('demo-kpa-key').post(`/api/v1/declarations/${id}/exit`, { reference: 'MAERSK SELETAR 245E / MAEU-OUT-7781' }), 200);

    // The page follows by itself: exited, how, and the proof of exit.
    await expect.poll(() => page.locator('[data-status="exited"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.getByTestId('exit').getByText(/MAEU-OUT-7781/).waitFor();
    await expect.poll(() => page.getByTestId('timeline').locator('[data-action="declaration.exited"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await shoot(page, 'export-exited');
    const [proof] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Open the proof of exit' }).click()]);
    await expect.poll(() => proof.title(), { timeout: 15_000 }).toContain(registered.reference);
    expect(await proof.locator('body').textContent()).toContain('MAEU-OUT-7781');
    await proof.close();

    // In the agent's consignments: exited, with where it went.
    await page.getByRole('link', { name: 'My consignments' }).first().click();
    const row = page.getByRole('row').filter({ hasText: registered.reference });
    await row.locator('[data-status="exited"]').waitFor();
    expect(await row.textContent()).toContain('MBA → IT');
    await context.close();
  });

  it('lets an officer on duty at the office of exit confirm a border exit on the export page', async () => {
    const { server } = journey;
    const agent = await server.as('siginon.agent');
    const tea = await lodgeExport(agent, teaExport());
    expect((await registerAndPay(server, agent, tea.id)).status).toBe('released');
    await roster(server, 'kra.officer', 'MAL');

    const { context, page } = await newPage(browser);
    await login(page, base, 'kra.officer');
    await page.getByRole('heading', { name: 'Verification queue' }).waitFor();
    await page.getByRole('link', { name: 'Declarations' }).first().click();
    await page.getByRole('link', { name: tea.reference }).click();
    const reference = field(page, 'Outbound manifest, B/L or crossing record');
    // Too short for a crossing record: the server's error at the field, nothing changes.
    await reference.fill('X');
    await page.getByRole('button', { name: 'Confirm the exit' }).click();
    await expect.poll(() => reference.getAttribute('aria-invalid')).toBe('true');
    expect((await agent.get(`/api/v1/declarations/${tea.id}`)).body.status).toBe('released');
    await reference.fill('MAL-OUT-2026-0615-031 truck KCA 123X');
    await shoot(page, 'export-confirm-exit');
    await page.getByRole('button', { name: 'Confirm the exit' }).click();
    await expect.poll(() => page.locator('[data-status="exited"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const exited = (await agent.get(`/api/v1/declarations/${tea.id}`)).body;
    expect(exited.status).toBe('exited');
    expect(exited.export.exit).toMatchObject({ by: 'customs', office: 'MAL', reference: 'MAL-OUT-2026-0615-031 truck KCA 123X' });
    await context.close();
  });
});
