// Exemption letters (registered by customs, drawn on by declarations) and the relief port the
// calculator asks. Each draw is a row per declaration item: a re-assessment replaces the rows
// (the balance moves by the difference), a cancellation or rejection removes them (credited back).
import type { Kysely } from 'kysely';
import type { DB } from '../../schema.ts';
import type { Tx } from '#platform/db/transaction.ts';
import type { Clock } from '#platform/clock.ts';
import { Dec, fixed } from '#platform/money.ts';
import { newId } from '#platform/ids.ts';
import { conflict, invalid, type FieldError } from '#platform/http/problem.ts';
import { recordAudit, type Actor } from '#modules/audit/index.ts';
import type { ReliefPort, ReliefQuery } from '#modules/assessment/index.ts';
import { letterOf, reliefRepository as repo, ruleOf, type LetterRow } from './relief.repository.ts';
import { resolveReliefs, type LetterRecord } from './relief.resolver.ts';
import { rulesInForce } from './relief.cache.ts';

/** The relief port bound to a query handle (a declaration's transaction, or the pool). */
export function reliefResolver(q: Kysely<DB>): ReliefPort {
  return {
    async resolve(query: ReliefQuery) {
      const rules = (await rulesInForce(q, query.cpc, query.date)).map(ruleOf);
      const letters = new Map<string, LetterRecord>();
      if (query.importerPin !== undefined && rules.some((r) => r.letterRequired)) {
        const numbers = [...new Set(query.documents.map((d) => d.reference.trim().toUpperCase()))];
        for (const row of await repo.lettersByNumber(q, numbers)) {
          letters.set(row.number, letterOf(row));
        }
      }
      return resolveReliefs(query, { rules, letters });
    },
  };
}

export interface NewLetter {
  number: string;
  documentCode?: string;
  holderPin: string;
  holderName?: string;
  procedureCodes: string[];
  charges: string[];
  cover: 'value' | 'quantity';
  limit: string;
  unit?: string;
  hsPrefix?: string;
  validFrom: string;
  validTo?: string;
  note?: string;
}

/** What one declaration item draws on a letter: its customs value (KES) or its quantity. */
export interface LetterDraw {
  number: string;
  itemNo: number;
  amount: string;
}

export function letterView(r: LetterRow) {
  return {
    id: r.id,
    number: r.number,
    documentCode: r.document_code,
    holderPin: r.holder_pin,
    holderName: r.holder_name,
    procedureCodes: r.procedure_codes,
    charges: r.charges,
    cover: r.cover,
    limit: fixed(new Dec(r.cover_limit), r.cover === 'value' ? 2 : 3),
    unit: r.unit,
    hsPrefix: r.hs_prefix,
    balance: fixed(new Dec(r.balance), r.cover === 'value' ? 2 : 3),
    validFrom: r.valid_from,
    validTo: r.valid_to,
    note: r.note,
  };
}

export function reliefService(deps: { db: Kysely<DB>; clock: Clock }) {
  return {
    resolver: reliefResolver(deps.db),

    async createLetter(tx: Tx, actor: Actor, requestId: string | null, body: NewLetter) {
      const number = body.number.trim().toUpperCase();
      const errors: FieldError[] = [];
      if ((await repo.lettersByNumber(tx, [number])).length > 0) {
        throw conflict(`Exemption letter ${number} is already registered`, { number });
      }
      const known = await tx.selectFrom('procedure_code').select('code').where('code', 'in', body.procedureCodes).execute();
      body.procedureCodes.forEach((c, i) => {
        if (!known.some((k) => k.code === c)) {
          errors.push({ pointer: `/procedureCodes/${i}`, code: 'unknown_cpc', message: `"${c}" is not a customs procedure code; see GET /api/v1/reference/procedure-codes` });
        }
      });
      const documentCode = (body.documentCode ?? 'EXL').toUpperCase();
      if (!(await tx.selectFrom('document_code').select('code').where('code', '=', documentCode).executeTakeFirst())) {
        errors.push({ pointer: '/documentCode', code: 'unknown_document_code', message: `"${documentCode}" is not a document code; see GET /api/v1/reference/document-codes (EXL exemption letter, DRL duty remission letter)` });
      }
      if ((body.cover === 'quantity') !== (body.unit !== undefined)) {
        errors.push({ pointer: '/unit', code: body.cover === 'quantity' ? 'required' : 'not_allowed', message: 'a unit is given exactly when the letter covers a quantity (cover "quantity")' });
      }
      if (!new Dec(body.limit).isPositive() || new Dec(body.limit).isZero()) {
        errors.push({ pointer: '/limit', code: 'invalid_limit', message: `"${body.limit}" must be more than zero` });
      }
      if (body.validTo !== undefined && body.validTo < body.validFrom) {
        errors.push({ pointer: '/validTo', code: 'invalid_period', message: `${body.validTo} is before validFrom ${body.validFrom}` });
      }
      if (errors.length > 0) {
        throw invalid(errors);
      }
      const row = await repo.insertLetter(tx, {
        id: newId(),
        number,
        document_code: documentCode,
        holder_pin: body.holderPin.toUpperCase(),
        holder_name: body.holderName ?? null,
        procedure_codes: JSON.stringify([...new Set(body.procedureCodes)]),
        charges: JSON.stringify([...new Set(body.charges.map((c) => c.toUpperCase()))]),
        cover: body.cover,
        cover_limit: body.limit,
        unit: body.unit?.toUpperCase() ?? null,
        hs_prefix: body.hsPrefix?.replace(/\D/g, '') ?? null,
        balance: body.limit,
        valid_from: body.validFrom,
        valid_to: body.validTo ?? null,
        note: body.note ?? null,
        created_by: actor.name,
      });
      await recordAudit(tx, { actor, action: 'exemption_letter.registered', entityType: 'exemption_letter', entityId: row.id, after: letterView(row), requestId, subjects: [number] });
      return letterView(row);
    },

    async letter(q: Kysely<DB>, id: string) {
      const row = await repo.letter(q, id);
      return row ? letterView(row) : undefined;
    },

    async letters(q: Kysely<DB>, query: { holderPin?: string; after?: string; limit: number }) {
      return (await repo.letters(q, query)).map(letterView);
    },

    /**
     * Makes a declaration's draws on exemption letters what its current assessment asks: each
     * letter's balance moves by the difference from what the declaration drew before (nothing
     * is drawn twice), refused whole (422 exemption_exhausted, naming what remains) if a letter
     * would go below zero. Letters are locked in id order and moved by a conditional update, so
     * two declarations racing for the last of a letter cannot both get it. An empty list gives
     * everything back (cancellation, rejection).
     */
    async settle(tx: Tx, d: { declarationId: string; reference: string | null; draws: LetterDraw[]; actor: Actor; requestId: string | null; reason: string }): Promise<void> {
      const before = await repo.debitsOf(tx, d.declarationId);
      const named = d.draws.length === 0 ? [] : await repo.lettersByNumber(tx, [...new Set(d.draws.map((w) => w.number))]);
      const letters = await repo.lockLetters(tx, [...new Set([...before.map((b) => b.letter_id), ...named.map((l) => l.id)])]);
      const byNumber = new Map(letters.map((l) => [l.number, l]));
      const now = deps.clock.now();
      const wanted = d.draws.map((w) => {
        const letter = byNumber.get(w.number);
        if (!letter) {
          throw new Error(`exemption letter ${w.number} vanished during the assessment`);
        }
        return { letter_id: letter.id, item_no: w.itemNo, amount: w.amount, debited_at: now };
      });
      const errors: FieldError[] = [];
      for (const letter of letters) {
        const was = before.filter((b) => b.letter_id === letter.id).reduce((s, b) => s.plus(b.amount), new Dec(0));
        const now2 = wanted.filter((w) => w.letter_id === letter.id).reduce((s, w) => s.plus(w.amount), new Dec(0));
        const delta = now2.minus(was);
        if (delta.isZero()) {
          continue;
        }
        const balance = await repo.moveBalance(tx, letter.id, delta.toString());
        if (balance === undefined) {
          const unit = letter.cover === 'value' ? 'KES' : (letter.unit ?? '');
          errors.push({
            pointer: '/documents',
            code: 'exemption_exhausted',
            message: `exemption letter ${letter.number} has ${unit} ${fixed(new Dec(letter.balance), letter.cover === 'value' ? 2 : 3)} left; this declaration needs ${unit} ${fixed(delta, letter.cover === 'value' ? 2 : 3)} more`,
          });
          continue;
        }
        await recordAudit(tx, {
          actor: d.actor,
          action: delta.isPositive() ? 'exemption_letter.debited' : 'exemption_letter.credited',
          entityType: 'exemption_letter',
          entityId: letter.id,
          before: { balance: letter.balance, drawnByDeclaration: was.toString() },
          after: { balance, drawnByDeclaration: now2.toString() },
          reason: `${d.reason}: declaration ${d.reference ?? d.declarationId}`,
          requestId: d.requestId,
          subjects: [letter.number, ...(d.reference ? [d.reference] : [])],
        });
      }
      if (errors.length > 0) {
        throw invalid(errors);
      }
      await repo.replaceDebits(tx, d.declarationId, wanted);
    },
  };
}

export type ReliefService = ReturnType<typeof reliefService>;
