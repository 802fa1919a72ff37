// A release of goods as a CUSRES (D:03B) for terminals that read EDIFACT, stored beside the JSON
// message release posts to the terminal's inbox. Subscribed to release.issued: at-least-once,
// stored once per release order.
import type { Kysely } from 'kysely';
import type { DB } from '../../../schema.ts';
import { inTransaction, type Tx } from '#platform/db/transaction.ts';
import type { OutboxEvent } from '#platform/events/outbox.ts';
import { recordAudit, systemActor } from '#modules/audit/index.ts';
import type { ReleaseMessage } from '#modules/release/index.ts';
import { exchangeRepository } from '../exchange.repository.ts';
import { segment, unbDateTime } from './edifact.ts';

const stamp203 = (iso: string) => iso.slice(0, 16).replace(/[-T:]/g, '');

export function renderCusres(m: ReleaseMessage, at: Date): string {
  const ref = m.releaseOrderNumber.replace(/[^A-Za-z0-9]/g, '').slice(-14);
  const [date, time] = unbDateTime(at, '4');
  const body = [
    segment('UNH', '1', ['CUSRES', 'D', '03B', 'UN']),
    segment('BGM', ['962', '', '', 'RELEASE ORDER'], m.releaseOrderNumber, '9'),
    segment('DTM', ['137', stamp203(m.releasedAt), '203']),
    segment('LOC', '41', m.officeCode),
    segment('RFF', ['ABT', m.declarationReference]),
    segment('RFF', ['BM', m.transportDocumentNumber]),
    segment('CNT', ['11', String(m.packages)]),
    segment('CNT', ['7', m.grossMassKg, 'KGM']),
  ];
  body.push(segment('UNT', String(body.length + 1), '1'));
  return [segment('UNB', ['UNOA', '4'], 'FORODHA', m.officeCode, [date, time], ref), ...body, segment('UNZ', '1', ref)].join('\n') + '\n';
}

function isReleaseMessage(p: unknown): p is ReleaseMessage {
  const m = p as Partial<ReleaseMessage> | null;
  return typeof m?.releaseOrderNumber === 'string' && typeof m.declarationReference === 'string' && typeof m.officeCode === 'string' && typeof m.releasedAt === 'string';
}

export async function renderCusresOnRelease(event: OutboxEvent, db: Kysely<DB>): Promise<void> {
  if (!isReleaseMessage(event.payload)) {
    throw new Error(`release.issued event ${event.id} has no release message`);
  }
  const message = event.payload;
  const run = (work: (tx: Tx) => Promise<void>) => (db.isTransaction ? work(db as Tx) : inTransaction(db, work));
  await run(async (tx) => {
    const stored = await exchangeRepository.storeEdifact(tx, {
      messageType: 'CUSRES',
      releaseOrderNumber: message.releaseOrderNumber,
      declarationReference: message.declarationReference,
      officeCode: message.officeCode,
      interchange: renderCusres(message, new Date(message.releasedAt)),
      createdAt: new Date(),
    });
    if (stored) {
      await recordAudit(tx, {
        actor: systemActor,
        action: 'terminal_message.cusres_queued',
        entityType: 'release_order',
        entityId: message.releaseOrderNumber,
        subjects: [message.declarationReference, message.releaseOrderNumber],
        after: { kind: 'release', format: 'edifact' },
      });
    }
  });
}
