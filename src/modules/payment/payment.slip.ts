// The e-slip: what the declarant prints and takes to the bank. The slip content is the assessment
// summary the declaration module gives when it asks for a PRN; it is stored as given and read
// back tolerantly, so a slip always prints even if its producer adds fields. Every piece of text
// is HTML-escaped: names and descriptions come from traders.

/** One tax line as printed: amounts are decimal strings in KES, rate in percent (null when specific). */
export interface SlipTaxLine {
  code: string;
  name?: string;
  base: string;
  rate: string | null;
  specific?: { amount: string; currency: string; unit: string; quantity?: string };
  amount: string;
}

export interface SlipItem {
  /** Item number on the declaration (1-based when given by the declaration). */
  index?: number;
  hsCode?: string;
  description?: string;
  customsValue?: string;
  taxes: SlipTaxLine[];
  total?: string;
}

/**
 * What `issuePrn` expects as `slip`. The assessment JSON of the assessment module (items, totals,
 * total) fits as is; add `importer`, `declarant` and `officeCode` so the slip names them.
 */
export interface PaymentSlip {
  importer?: { name: string; pin?: string | null };
  declarant?: { name: string };
  officeCode?: string;
  items: SlipItem[];
  /** Total per tax code. */
  totals: Record<string, string>;
  total: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function taxLine(v: unknown): SlipTaxLine | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  const specific = isObject(v.specific) ? v.specific : undefined;
  const name = text(v.name);
  return {
    code: text(v.code) ?? '?',
    ...(name === undefined ? {} : { name }),
    base: text(v.base) ?? '',
    rate: text(v.rate) ?? null,
    ...(specific
      ? { specific: { amount: text(specific.amount) ?? '', currency: text(specific.currency) ?? '', unit: text(specific.unit) ?? '', quantity: text(specific.quantity) ?? '' } }
      : {}),
    amount: text(v.amount) ?? '',
  };
}

function slipItem(v: unknown): SlipItem | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  const taxes = Array.isArray(v.taxes) ? v.taxes.map(taxLine).filter((t): t is SlipTaxLine => t !== undefined) : [];
  const hsCode = text(v.hsCode);
  const description = text(v.description);
  const customsValue = text(v.customsValue);
  const total = text(v.total);
  return {
    ...(typeof v.index === 'number' ? { index: v.index } : {}),
    ...(hsCode === undefined ? {} : { hsCode }),
    ...(description === undefined ? {} : { description }),
    ...(customsValue === undefined ? {} : { customsValue }),
    taxes,
    ...(total === undefined ? {} : { total }),
  };
}

/** Reads a stored slip into the printed shape, ignoring what it does not know. */
export function readSlip(stored: unknown): PaymentSlip {
  const s = isObject(stored) ? stored : {};
  const importer = isObject(s.importer) && text(s.importer.name) !== undefined ? { name: text(s.importer.name) ?? '', pin: text(s.importer.pin) ?? null } : undefined;
  const declarant = isObject(s.declarant) && text(s.declarant.name) !== undefined ? { name: text(s.declarant.name) ?? '' } : undefined;
  const officeCode = text(s.officeCode);
  const totals: Record<string, string> = {};
  if (isObject(s.totals)) {
    for (const [code, amount] of Object.entries(s.totals)) {
      const a = text(amount);
      if (a !== undefined) {
        totals[code] = a;
      }
    }
  }
  return {
    ...(importer ? { importer } : {}),
    ...(declarant ? { declarant } : {}),
    ...(officeCode === undefined ? {} : { officeCode }),
    items: Array.isArray(s.items) ? s.items.map(slipItem).filter((i): i is SlipItem => i !== undefined) : [],
    totals,
    total: text(s.total) ?? '',
  };
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

/** Tagged template that escapes every interpolated value unless it is already rendered Html. */
class Html {
  constructor(readonly value: string) {}
}
function render(v: unknown): string {
  if (v instanceof Html) {
    return v.value;
  }
  return escapeHtml(typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
}
function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const rendered = Array.isArray(v) ? v.map(render).join('') : render(v);
    out += rendered + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** A moment as the office shows it: Nairobi local time. */
export function nairobiTime(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Africa/Nairobi',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} EAT`;
}

function rateText(t: SlipTaxLine): string {
  if (t.rate !== null) {
    return `${t.rate}%`;
  }
  if (t.specific) {
    return `${t.specific.currency} ${t.specific.amount}/${t.specific.unit}`;
  }
  return '-';
}

export interface EslipView {
  prn: string;
  status: string;
  declarationReference: string;
  amount: string;
  paidTotal: string;
  /** What remains to pay on this PRN. */
  balance: string;
  currency: string;
  validUntil: Date;
  issuedAt: Date;
  slip: PaymentSlip;
}

export const paymentInstructions = [
  'Pay at any bank or mobile-money channel connected to Forodha, quoting the payment registration number (PRN) above.',
  'Pay the amount due in Kenya shillings before the PRN expires; after that date ask your declarant for a new PRN.',
  'The bank confirms the payment to customs electronically; keep the bank receipt. Do not pay a PRN marked cancelled or expired.',
];

const statusNotice: Record<string, string> = {
  cancelled: 'This PRN is CANCELLED. Do not pay it.',
  expired: 'This PRN has EXPIRED. Do not pay it; ask for a new PRN.',
  paid: 'This PRN is PAID.',
};

/** The printable e-slip as a complete HTML document. */
export function renderEslip(view: EslipView): string {
  const { slip } = view;
  const notice = statusNotice[view.status];
  const items = slip.items.map(
    (item, i) => html`
      <tbody>
        <tr class="item"><th colspan="5">Item ${item.index ?? i + 1}${item.hsCode ? html` &middot; HS ${item.hsCode}` : ''}${item.description ? html` &middot; ${item.description}` : ''}${item.customsValue ? html` &middot; customs value KES ${item.customsValue}` : ''}</th></tr>
        ${item.taxes.map((t) => html`<tr><td>${t.code}</td><td>${t.name ?? ''}</td><td class="n">${t.base}</td><td class="n">${rateText(t)}</td><td class="n">${t.amount}</td></tr>`)}
        ${item.total ? html`<tr class="sub"><td colspan="4">Item total</td><td class="n">${item.total}</td></tr>` : ''}
      </tbody>`,
  );
  const totals = Object.entries(slip.totals).map(([code, amount]) => html`<tr><td>${code}</td><td class="n">${amount}</td></tr>`);
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>E-slip ${view.prn}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #999; padding: 0.2em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.prn { font-size: 1.6em; font-family: monospace; letter-spacing: 0.05em; }
.notice { border: 2px solid #b00; color: #b00; padding: 0.5em; font-weight: bold; }
tr.item th { background: #eee; }
@media print { .noprint { display: none; } }
</style>
</head>
<body>
<h1>Customs payment slip (e-slip)</h1>
${notice ? html`<p class="notice">${notice}</p>` : ''}
<table class="header">
<tr><th>Payment registration number (PRN)</th><td class="prn">${view.prn}</td></tr>
<tr><th>Declaration</th><td>${view.declarationReference}</td></tr>
${slip.importer ? html`<tr><th>Importer</th><td>${slip.importer.name}${slip.importer.pin ? html` (PIN ${slip.importer.pin})` : ''}</td></tr>` : ''}
${slip.declarant ? html`<tr><th>Declarant</th><td>${slip.declarant.name}</td></tr>` : ''}
${slip.officeCode ? html`<tr><th>Customs office</th><td>${slip.officeCode}</td></tr>` : ''}
<tr><th>Amount</th><td>${view.currency} ${view.amount}</td></tr>
${view.paidTotal !== '0.00' ? html`<tr><th>Paid so far</th><td>${view.currency} ${view.paidTotal}</td></tr>` : ''}
<tr><th>Amount to pay</th><td><strong>${view.currency} ${view.balance}</strong></td></tr>
<tr><th>Status</th><td>${view.status}</td></tr>
<tr><th>Issued</th><td>${nairobiTime(view.issuedAt)}</td></tr>
<tr><th>Valid until</th><td>${nairobiTime(view.validUntil)}</td></tr>
</table>
<h2>Taxes by item (KES)</h2>
<table class="taxes">
<thead><tr><th>Code</th><th>Tax</th><th>Base</th><th>Rate</th><th>Amount</th></tr></thead>
${items}
</table>
<h2>Totals (KES)</h2>
<table class="totals">
${totals}
<tr><th>Total</th><th class="n">${slip.total}</th></tr>
</table>
<h2>How to pay</h2>
<ol>${paymentInstructions.map((p) => html`<li>${p}</li>`)}</ol>
</body>
</html>
`;
  return doc.value;
}
