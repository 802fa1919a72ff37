// Corrections an officer makes at verification (HS code, quantity, value, origin of an item):
// applied to the declared data, then the goods are assessed again on the same date with the same
// exchange rate, so the difference is due to the corrections alone.
import { Dec } from '#platform/money.ts';
import { invalid } from '#platform/http/problem.ts';
import { correctableFields, type Correction, type FieldChange } from '#modules/inspection/index.ts';
import type { DeclarationBody } from './declaration.schemas.ts';

const numeric = new Set<string>(['quantity', 'itemPrice']);

/** The declaration with the corrections applied, and what changed (before and after). */
export function corrected(body: DeclarationBody, corrections: Correction[]): { body: DeclarationBody; changes: FieldChange[] } {
  const items = body.items.map((i) => ({ ...i }));
  const changes: FieldChange[] = [];
  for (const c of corrections) {
    const item = items[c.itemNo - 1];
    if (!item) {
      throw invalid([{ pointer: `/items/${c.itemNo - 1}`, code: 'unknown_item', message: `the declaration has no item ${c.itemNo}; it has ${items.length}` }]);
    }
    for (const field of correctableFields) {
      const after = c[field];
      if (after === undefined) {
        continue;
      }
      const before = item[field];
      const same = numeric.has(field) ? new Dec(before).eq(after) : before.toUpperCase() === after.toUpperCase();
      if (!same) {
        changes.push({ itemNo: c.itemNo, field, before, after });
        item[field] = after;
        if (field === 'originCountry') {
          // The proof of preferential origin was for the declared origin: it does not follow the goods.
          item.preferentialOrigin = false;
        }
      }
    }
  }
  return { body: { ...body, items }, changes };
}
