// What the browser tests share: Debian's Chromium driven by playwright-core, a page per person,
// logging in through the form, inputs found by their label, screenshots at desktop and phone width.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const shots = path.resolve('test-artifacts', 'screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launch(): Promise<Browser> {
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The same page at desktop and at phone width. */
export async function shoot(page: Page, name: string): Promise<void> {
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page };
}

/** An input by its label (on the page or within a part of it); a required field's label ends with an asterisk. */
export function field(page: Page | Locator, label: string) {
  // The input itself, not the autocomplete's list that carries the same label.
  return page.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\*?$`)).and(page.locator('input, textarea'));
}

/** Logs in through the form; the app then lives in memory, so later moves are clicks, not loads. */
export async function login(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/login`);
  await field(page, 'Username').fill(username);
  await field(page, 'Password').fill('demo-password');
  await page.getByRole('button', { name: 'Log in' }).last().click();
}

/** Opens a page of the app by a click on its menu link (a reload would log out). */
export async function open(page: Page, linkName: string | RegExp): Promise<void> {
  await page.getByRole('link', { name: linkName }).first().click();
}

/** The text of the errors an input is described by (the server's field errors shown at the field). */
export async function fieldErrors(page: Page, input: Locator): Promise<string> {
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  const ids = describedBy.split(' ').filter((id) => id !== '');
  if (ids.length === 0) {
    return '';
  }
  return (await page.locator(ids.map((id) => `[id="${id}"]`).join(', ')).allTextContents()).join(' ');
}

/** A goods item as the declaration and export forms take it. */
export interface ItemRow {
  hsCode: string;
  description: string;
  origin: string;
  itemPrice: string;
  quantity: string;
  unit?: string;
  netMassKg: string;
  grossMassKg: string;
  packages: string;
}

/** Fills the first item row of a form by its labels; the HS code's autocomplete is closed, not chosen from. */
export async function fillItem(page: Page, item: ItemRow): Promise<Locator> {
  const hs = field(page, 'HS code');
  await hs.fill(item.hsCode);
  await hs.press('Escape');
  await field(page, 'Description').fill(item.description);
  await field(page, 'Origin (country code)').fill(item.origin);
  await field(page, 'Item price').fill(item.itemPrice);
  await field(page, 'Quantity').fill(item.quantity);
  if (item.unit !== undefined) {
    await field(page, 'Unit').fill(item.unit);
  }
  await field(page, 'Net mass (kg)').fill(item.netMassKg);
  await field(page, 'Gross mass (kg)').fill(item.grossMassKg);
  await field(page, 'Packages').fill(item.packages);
  return hs;
}

/** A figure as the page shows it, without its thousands separators, to compare with the API's. */
export const figure = (text: string | null): string => (text ?? '').replace(/,/g, '').trim();
