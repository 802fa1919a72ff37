// Dated reference rows (tariff lines, rates, reliefs, authorisations) hold valid_from and an
// optional valid_to, both inclusive dates: one filter says which row is in force on a day.
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';

interface Dated {
  valid_from: string;
  valid_to: string | null;
}

/** `valid_from <= date and (valid_to is null or valid_to >= date)`, for `.where(inForceOn(date))` on one dated table (columns unqualified). */
export function inForceOn(date: string) {
  return <DB extends Record<TB, Dated>, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>): Expression<SqlBool> => {
    const dated = eb as unknown as ExpressionBuilder<{ dated: Dated }, 'dated'>;
    return dated.and([dated('valid_from', '<=', date), dated.or([dated('valid_to', 'is', null), dated('valid_to', '>=', date)])]);
  };
}
