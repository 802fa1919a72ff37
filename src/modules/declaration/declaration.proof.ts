// The proof of exit: the printable document an exporter gives its buyer, its bank or the tax
// office (a VAT refund on an export needs it). Like the e-slip it is a complete HTML page, printed
// from the browser, served with a strict content security policy; it is issued only once the
// office of exit confirmed the goods left, and it names the audit record of that confirmation,
// which customs can check against the tamper-evident audit trail ("forodha audit verify"). Its
// digest (SHA-256 of the facts it states) lets a reader match a printed copy with the one served.
import { createHash } from 'node:crypto';
import { escapeHtml } from '#modules/payment/index.ts';
import type { DeclarationItemRow, DeclarationRow } from './declaration.tables.ts';

interface ExitConfirmation {
  by?: string;
  office?: string;
  reference?: string;
  organisation?: string;
  at?: string;
}

const e = (v: string | number | null | undefined): string => escapeHtml(v === null || v === undefined ? '' : String(v));

function nairobi(at: Date): string {
  return `${new Intl.DateTimeFormat('en-GB', { timeZone: 'Africa/Nairobi', dateStyle: 'medium', timeStyle: 'short' }).format(at)} (Nairobi)`;
}

export function renderProofOfExit(input: { row: DeclarationRow; items: DeclarationItemRow[]; exporterName: string; declarantName: string }): string {
  const { row, items } = input;
  const exit = (row.exit_confirmation ?? {}) as ExitConfirmation;
  const exitedAt = row.exited_at ?? new Date(0);
  const facts = {
    reference: row.reference,
    regime: row.regime,
    cpc: row.cpc,
    exporter: { pin: row.importer_pin, name: input.exporterName },
    destination: row.destination_country,
    exitOffice: row.exit_office_code,
    exitedAt: exitedAt.toISOString(),
    exit: { by: exit.by, reference: exit.reference },
    invoice: { currency: row.invoice_currency, amount: row.invoice_amount },
    items: items.map((i) => ({ itemNo: i.item_no, hsCode: i.hs_code, quantity: i.quantity, unit: i.unit, netMassKg: i.net_mass_kg, packages: i.packages })),
  };
  const digest = createHash('sha256').update(JSON.stringify(facts)).digest('hex');
  const rows = items
    .map(
      (i) =>
        `<tr><td>${e(i.item_no)}</td><td>${e(i.hs_code)}</td><td>${e(i.description)}</td><td class="n">${e(i.quantity)} ${e(i.unit)}</td><td class="n">${e(i.net_mass_kg)}</td><td class="n">${e(i.packages)}</td><td class="n">${e(i.item_price)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Proof of exit ${e(row.reference)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #999; padding: 0.2em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ref { font-size: 1.4em; font-family: monospace; }
.digest { font-family: monospace; font-size: 0.8em; word-break: break-all; }
</style>
</head>
<body>
<h1>Proof of exit</h1>
<p>The goods of this export declaration left the customs territory of Kenya: their exit was confirmed at the office of exit.</p>
<table class="header">
<tr><th>Export declaration</th><td class="ref">${e(row.reference)}</td></tr>
<tr><th>Regime / procedure</th><td>${e(row.regime)} / ${e(row.cpc)}</td></tr>
<tr><th>Exporter</th><td>${e(input.exporterName)} (PIN ${e(row.importer_pin)})</td></tr>
<tr><th>Declarant</th><td>${e(input.declarantName)}</td></tr>
<tr><th>Office of lodgement</th><td>${e(row.office_code)}</td></tr>
<tr><th>Office of exit</th><td>${e(row.exit_office_code)}</td></tr>
<tr><th>Destination</th><td>${e(row.destination_country)}</td></tr>
<tr><th>Exit confirmed</th><td>${e(nairobi(exitedAt))}, by ${e(exit.by === 'terminal' ? `the terminal (${exit.organisation ?? ''})` : 'customs')} on ${e(exit.reference)}</td></tr>
<tr><th>Invoice</th><td>${e(row.invoice_currency)} ${e(row.invoice_amount)} (${e(row.incoterm)})</td></tr>
</table>
<h2>Goods</h2>
<table>
<thead><tr><th>Item</th><th>HS code</th><th>Description</th><th>Quantity</th><th>Net kg</th><th>Packages</th><th>Price</th></tr></thead>
${rows}
</table>
<p>The exit is recorded in the customs audit trail (action declaration.exited of ${e(row.reference)}), which customs verify with <code>forodha audit verify</code>.</p>
<p>Digest of this proof (SHA-256): <span class="digest">${digest}</span></p>
</body>
</html>
`;
}
