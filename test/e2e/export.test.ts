// Exports over HTTP: an EX1 lodged before the goods reach the port, assessed with the export levy
// (data), green, paid, released for loading, loaded at Mombasa (the terminal confirms the exit)
// and its proof of exit; a border exit confirmed by the officer on duty at Malaba; every illegal
// exit refused; validation that changes nothing; re-exports (EX3) that write off the import they
// come from, two of them racing for the last quantity; and what each audience sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/platform/money.ts';
import type { Client } from '../server.ts';
import { expectStatus, roster, startJourney, type Journey } from './cargo.ts';
import { hidesExport, lodgeExport, registerAndPay, releasedImport, reExport, teaExport } from './export-kit.ts';

let journey: Journey;
let agent: Client;
let exporter: Client;

beforeAll(async () => {
  journey = await startJourney('2026-06-15T05:00:00Z');
  agent = await journey.server.as('siginon.agent');
  exporter = await journey.server.as('rvhides.owner');
});

afterAll(async () => {
  await journey.close();
});

describe('a direct export (EX1) loaded at Mombasa', () => {
  it('is lodged before the goods reach the port, assessed with the hides levy, released for loading when paid, exits when the terminal loads it, and gets its proof of exit', async () => {
    const { server } = journey;
    const lodged = await lodgeExport(agent, hidesExport());
    expect(lodged.status).toBe('assessed');
    expect(lodged.reference).toMatch(/^2026NBIEX1\d{6}$/);
    expect(lodged.selectivity).toEqual({ channel: 'green' });
    // 80% of the FOB value in KES at the rate in force today (sample data).
    const tax = lodged.assessment.items[0]!.taxes[0]!;
    expect(tax).toMatchObject({ code: 'EXL', rate: '80' });
    expect(new Dec(tax.base).times('0.8').toFixed(2)).toBe(tax.amount);
    expect(lodged.assessment.total).toBe(tax.amount);
    expect(lodged.assessment.totals).toEqual({ EXL: tax.amount });

    // The exporter sees its export as lodged by its agent; the officer sees why the channel.
    const own = await exporter.get(`/api/v1/declarations/${lodged.id}`);
    expectStatus(own, 200);
    expect(own.body.export).toMatchObject({ exporterPin: 'P051234570D', exitOfficeCode: 'MBA', destinationCountry: 'IT', exit: null, proofOfExit: null });
    expect(own.body.selectivity).toEqual({ channel: 'green' });
    const asOfficer = await (await server.as('kra.officer')).get(`/api/v1/declarations/${lodged.id}`);
    expect((asOfficer.body.selectivity.reasons as string[]).length).toBeGreaterThan(0);

    // Nothing leaves before release: the terminal may not confirm the exit of an assessed export.
    const kpa = server.key('demo-kpa-key');
    const early = await kpa.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAEU-OUT-245E' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain('assessed');

    // Registered with a PRN (the levy is due), paid: released for loading at once (no arrival to wait for).
    const released = await registerAndPay(server, agent, lodged.id);
    expect(released.status).toBe('released');
    expect(released.payment).toMatchObject({ amountDue: tax.amount });
    // No proof before the exit.
    expect((await exporter.get(`/api/v1/declarations/${lodged.id}/proof-of-exit`)).status).toBe(409);

    // Loaded at Mombasa: the terminal confirms the exit with the outbound manifest.
    const exited = await kpa.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAERSK SELETAR 245E / MAEU-OUT-7781' }, { idempotencyKey: `exit-${lodged.id}` });
    expectStatus(exited, 200);
    expect(exited.body.status).toBe('exited');
    // The terminal's answer says no more than that (no goods, no figures).
    expect(Object.keys(exited.body).sort()).toEqual(['id', 'status', 'version']);
    // A retry with the same key is the same answer; another confirmation is refused.
    const replay = await kpa.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAERSK SELETAR 245E / MAEU-OUT-7781' }, { idempotencyKey: `exit-${lodged.id}` });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const twice = await kpa.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toContain('already exited');

    const after = await exporter.get(`/api/v1/declarations/${lodged.id}`);
    expect(after.body.status).toBe('exited');
    expect(after.body.export.exit).toMatchObject({ by: 'terminal', office: 'MBA', reference: 'MAERSK SELETAR 245E / MAEU-OUT-7781' });

    // The proof of exit: for the exporter, its agent and customs.
    const proof = await exporter.get(after.body.export.proofOfExit as string);
    expectStatus(proof, 200);
    expect(proof.headers.get('content-type')).toContain('text/html');
    expect(proof.text).toContain(lodged.reference);
    expect(proof.text).toContain('Rift Valley Hides and Skins Ltd');
    expect(proof.text).toContain('MAERSK SELETAR 245E');
    expect(proof.text).toMatch(/SHA-256\): <span class="digest">[0-9a-f]{64}</);
    expectStatus(await agent.get(`/api/v1/declarations/${lodged.id}/proof-of-exit`), 200);
    expectStatus(await (await server.as('kra.officer')).get(`/api/v1/declarations/${lodged.id}/proof-of-exit`), 200);
    // Not for another trader, nor the terminal, nor the bank.
    expect((await (await server.as('mtraders.owner')).get(`/api/v1/declarations/${lodged.id}/proof-of-exit`)).status).toBe(404);
    expect((await kpa.get(`/api/v1/declarations/${lodged.id}/proof-of-exit`)).status).toBe(403);
    expect((await server.key('demo-kcb-key').get(`/api/v1/declarations/${lodged.id}/proof-of-exit`)).status).toBe(403);

    // An export's FOB values do not join the import valuation reference (declaration_unit_value).
    await journey.settle();
    const reference = await server.database.db.selectFrom('declaration_unit_value').select('item_no').where('declaration_id', '=', lodged.id).execute();
    expect(reference).toEqual([]);

    // The timeline of the export: every step, the exit by the terminal.
    const timeline = await exporter.get(`/api/v1/timeline?declaration=${lodged.reference}`);
    expectStatus(timeline, 200);
    const actions = (timeline.body.events as { action: string }[]).map((e) => e.action);
    for (const step of ['declaration.lodged', 'declaration.assessed', 'declaration.registered', 'prn.issued', 'payment.received', 'declaration.paid', 'declaration.released', 'declaration.exited']) {
      expect(actions, step).toContain(step);
    }
    const exitStep = (timeline.body.events as { action: string; actor: { name: string; role: string }; details: Record<string, unknown> }[]).find((e) => e.action === 'declaration.exited');
    expect(exitStep?.details).toMatchObject({ status: 'exited', exitOfficeCode: 'MBA', confirmedBy: 'terminal' });
    expect(timeline.body.declarations).toEqual([{ reference: lodged.reference, status: 'exited', prn: released.payment && (released.payment as { prn: string }).prn, releaseOrderNumber: null }]);
    // The public status lookup knows it too.
    const status = await server.anonymous().get(`/api/v1/status?declaration=${lodged.reference}`);
    expectStatus(status, 200);
    expect(status.body.declarations).toEqual([{ reference: lodged.reference, status: 'exited' }]);
  });
});

describe('a border exit', () => {
  it('is confirmed by the officer on duty at the office of exit, and by no one else', async () => {
    const { server } = journey;
    const lodged = await lodgeExport(agent, teaExport());
    expect(lodged.assessment.total).toBe('0.00');
    // Nothing is due: registration pays it and releases it for loading in one step.
    const released = await registerAndPay(server, agent, lodged.id);
    expect(released.status).toBe('released');
    expect(released.payment).toMatchObject({ prn: null });

    // Not the Mombasa terminal (the export leaves at Malaba: it does not exist for it).
    expect((await server.key('demo-kpa-key').post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'KPA-LOAD-1' })).status).toBe(404);
    // Not the trade, not the bank.
    expect((await agent.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAL-XING-1' })).status).toBe(403);
    expect((await exporter.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAL-XING-1' })).status).toBe(403);
    expect((await server.key('demo-kcb-key').post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAL-XING-1' })).status).toBe(403);
    // Not an officer off duty, nor one on duty at Mombasa.
    const officer = await server.as('kra.officer2');
    const offDuty = await officer.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAL-XING-1' });
    expect(offDuty.status).toBe(403);
    expect(offDuty.body.detail).toContain('not on duty');
    await roster(server, 'kra.officer2', 'MBA');
    const elsewhere = await officer.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAL-XING-1' });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.detail).toContain('on duty at MBA');
    expect((await agent.get(`/api/v1/declarations/${lodged.id}`)).body.status).toBe('released');

    // The officer on duty at Malaba confirms it.
    await roster(server, 'kra.officer2', 'MAL');
    const exited = await officer.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAL-XING-20260615-0042', remarks: 'seals intact' });
    expectStatus(exited, 200);
    expect(exited.body.status).toBe('exited');
    expect(exited.body.export.exit).toMatchObject({ by: 'customs', office: 'MAL', reference: 'MAL-XING-20260615-0042' });
    expect((await officer.post(`/api/v1/declarations/${lodged.id}/exit`, { reference: 'MAL-XING-2' })).status).toBe(409);
    await roster(server, 'kra.officer2', 'MAL', false);
  });

  it('an import is not exited this way: its goods leave by the gate-out of its release order', async () => {
    const { server } = journey;
    const imported = await releasedImport(server, await server.as('siginon.agent'));
    await roster(server, 'kra.officer2', 'MBA');
    const res = await (await server.as('kra.officer2')).post(`/api/v1/declarations/${imported.id}/exit`, { reference: 'X-1' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('gate-out');
    expect((await server.key('demo-kpa-key').post(`/api/v1/declarations/${imported.id}/exit`, { reference: 'X-1' })).status).toBe(404);
    await roster(server, 'kra.officer2', 'MBA', false);
  });
});

describe('lodging an export', () => {
  it('reports every problem at once and stores nothing', async () => {
    const before = (await agent.get('/api/v1/declarations?limit=200')).body.items.length as number;
    const res = await agent.post(
      '/api/v1/exports',
      hidesExport({
        exitOfficeCode: 'NBI',
        destinationCountry: 'KE',
        invoiceAmount: '29999.99',
        items: [{ ...hidesExport().items[0], originCountry: 'CN', grossMassKg: '10' }],
      }),
    );
    expect(res.status).toBe(422);
    const found = (res.body.errors as { pointer: string; code: string }[]).map((e) => `${e.pointer} ${e.code}`).sort();
    expect(found).toEqual(
      [
        '/destinationCountry not_abroad',
        '/exitOfficeCode not_an_office_of_exit',
        '/invoiceAmount invoice_total_mismatch',
        '/items/0/grossMassKg gross_below_net',
        '/items/0/originCountry not_home_produced',
      ].sort(),
    );
    expect((await agent.get('/api/v1/declarations?limit=200')).body.items.length).toBe(before);
  });

  it('refuses an exporter the declarant may not act for, an import CPC, and a re-export without its import', async () => {
    const bollore = await journey.server.as('bollore.agent');
    const notAuthorised = await bollore.post('/api/v1/exports', hidesExport());
    expect(notAuthorised.status).toBe(422);
    expect(notAuthorised.body.errors[0].pointer).toBe('/exporterPin');
    const anotherTrader = await (await journey.server.as('mtraders.owner')).post('/api/v1/exports', hidesExport());
    expect(anotherTrader.body.errors).toContainEqual(expect.objectContaining({ pointer: '/exporterPin', code: 'not_own_pin' }));
    const importCpc = await agent.post('/api/v1/exports', hidesExport({ cpc: '4000000' }));
    expect(importCpc.body.errors).toContainEqual(expect.objectContaining({ pointer: '/cpc', code: 'not_an_export' }));
    const noSource = await agent.post('/api/v1/exports', hidesExport({ cpc: '3100000' }));
    expect(noSource.body.errors).toContainEqual(expect.objectContaining({ pointer: '/items/0/reExportOf', code: 'required' }));
    // The import route sends exports here.
    const viaImports = await agent.post('/api/v1/declarations', { cpc: '1000100', officeCode: 'MBA', importerPin: 'P051234570D', transportDocumentNumber: 'X1', invoiceCurrency: 'USD', invoiceAmount: '1.00', incoterm: 'FOB', freight: '1.00', items: hidesExport().items, lodge: true });
    expect(viaImports.status).toBe(422);
    expect(viaImports.body.errors).toContainEqual(expect.objectContaining({ pointer: '/cpc', code: 'export_regime' }));
  });

  it('an export is not amended: cancelled and lodged again', async () => {
    const lodged = await lodgeExport(agent, teaExport());
    const amend = await agent.post(`/api/v1/declarations/${lodged.id}/amend`, { cpc: '1000100', officeCode: 'NBI', importerPin: 'P051234570D', transportDocumentNumber: 'NONE', invoiceCurrency: 'USD', invoiceAmount: '1.00', incoterm: 'FOB', freight: '1.00', items: teaExport().items.map((i) => ({ ...i, itemPrice: '1.00' })) });
    expect(amend.status).toBe(409);
    expect(amend.body.detail).toContain('is an export');
    expect((await agent.get(`/api/v1/declarations/${lodged.id}`)).body.invoice.amount).toBe('12000.00');
    const cancelled = await agent.post(`/api/v1/declarations/${lodged.id}/cancel`, { reason: 'buyer withdrew the order' });
    expectStatus(cancelled, 200);
    expect(cancelled.body.status).toBe('cancelled');
  });
});

describe('an export selected for control, cancelled and lodged again', () => {
  it('keeps its channel: the same exporter\'s same goods inherit it, no new draw', async () => {
    const first = await lodgeExport(agent, teaExport());
    // The selection as an analyst's rule would have made it (the channel is what matters here).
    await journey.server.database.db.updateTable('declaration').set({ channel: 'red' }).where('id', '=', first.id).execute();
    expectStatus(await agent.post(`/api/v1/declarations/${first.id}/cancel`, { reason: 'buyer withdrew the order' }), 200);
    const again = await lodgeExport(agent, teaExport());
    const view = await (await journey.server.as('kra.officer')).get(`/api/v1/declarations/${again.id}`);
    expectStatus(view, 200);
    expect(view.body.selectivity.channel).toBe('red');
    expect(JSON.stringify(view.body)).toContain('selection follows the consignment');
  });
});

describe('a re-export (EX3)', () => {
  it('takes no more than what remains of the import item, in its unit, and writes it off on exit', async () => {
    const { server } = journey;
    const nmAgent = await server.as('siginon.agent');
    const imported = await releasedImport(server, nmAgent);
    expect(imported.status).toBe('released');
    // Item 1: 50 laptops (NAR).
    const tooMany = await nmAgent.post('/api/v1/exports', reExport(imported, 1, '51'));
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors).toContainEqual(expect.objectContaining({ pointer: '/items/0/quantity', code: 'exceeds_remaining_quantity' }));
    const wrongUnit = await nmAgent.post('/api/v1/exports', reExport(imported, 1, '5', { items: [{ ...reExport(imported, 1, '5').items[0], unit: 'KGM' }] }));
    expect(wrongUnit.body.errors).toContainEqual(expect.objectContaining({ pointer: '/items/0/unit', code: 'unit_mismatch' }));
    // Another importer cannot re-export Nairobi Motors' goods (its import is as if unknown).
    const bollore = await server.as('bollore.agent');
    const theirs = await bollore.post('/api/v1/exports', reExport(imported, 1, '5', { exporterPin: 'P051234568B' }));
    expect(theirs.body.errors).toContainEqual(expect.objectContaining({ pointer: '/items/0/reExportOf/declaration', code: 'unknown_import_declaration' }));

    const first = await lodgeExport(nmAgent, reExport(imported, 1, '20'));
    expect(first.reference).toMatch(/^2026MBAEX3\d{6}$/);
    // 20 reserved: 30 remain.
    const over = await nmAgent.post('/api/v1/exports', reExport(imported, 1, '31'));
    expect(over.body.errors).toContainEqual(expect.objectContaining({ code: 'exceeds_remaining_quantity', message: expect.stringContaining('has 30 NAR left') }));
    const reserved = await nmAgent.get(`/api/v1/declarations/${imported.id}`);
    expect(reserved.body.items[0].reExported).toEqual({ reserved: '20', writtenOff: '0' });

    await registerAndPay(server, nmAgent, first.id);
    expectStatus(await server.key('demo-kpa-key').post(`/api/v1/declarations/${first.id}/exit`, { reference: 'CMA CGM AFRICA ONE 12N' }), 200);
    const writtenOff = await nmAgent.get(`/api/v1/declarations/${imported.id}`);
    expect(writtenOff.body.items[0].reExported).toEqual({ reserved: '0', writtenOff: '20' });
    // The import's timeline shows the write-off, with what remains.
    const timeline = await (await server.as('nmotors.owner')).get(`/api/v1/timeline?declaration=${imported.reference}`);
    const step = (timeline.body.events as { action: string; details: { reExport: string; items: { itemNo: number; quantity: string; remaining: string }[] } }[]).find((e) => e.action === 'declaration.written_off');
    expect(step?.details).toEqual({ reExport: first.reference, items: [expect.objectContaining({ itemNo: 1, quantity: '20', writtenOff: '20', remaining: '30' })] });

    // A cancelled re-export gives its reservation back.
    const second = await lodgeExport(nmAgent, reExport(imported, 1, '30'));
    expect((await nmAgent.post('/api/v1/exports', reExport(imported, 1, '1'))).status).toBe(422);
    expectStatus(await nmAgent.post(`/api/v1/declarations/${second.id}/cancel`, { reason: 'shipment postponed' }), 200);
    await lodgeExport(nmAgent, reExport(imported, 1, '1'));
  });

  it('two re-exports racing for the last quantity: one wins', async () => {
    const { server } = journey;
    const nmAgent = await server.as('siginon.agent');
    const imported = await releasedImport(server, nmAgent);
    // Item 2: 40 smartphones; each asks for 30.
    const [a, b] = await Promise.all([nmAgent.post('/api/v1/exports', reExport(imported, 2, '30')), nmAgent.post('/api/v1/exports', reExport(imported, 2, '30'))]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    const loser = a.status === 422 ? a : b;
    expect(loser.body.errors).toContainEqual(expect.objectContaining({ pointer: '/items/0/quantity', code: 'exceeds_remaining_quantity' }));
    const view = await nmAgent.get(`/api/v1/declarations/${imported.id}`);
    expect(view.body.items[1].reExported).toEqual({ reserved: '30', writtenOff: '0' });
  });
});

describe('who sees an export', () => {
  it('the exporter, its agent and customs; not another trader, a carrier or a bank', async () => {
    const { server } = journey;
    const lodged = await lodgeExport(agent, teaExport());
    const mtraders = await server.as('mtraders.owner');
    expect((await mtraders.get(`/api/v1/declarations/${lodged.id}`)).status).toBe(404);
    expect((await mtraders.get(`/api/v1/declarations/by-reference/${lodged.reference}`)).status).toBe(404);
    expect((await mtraders.get(`/api/v1/timeline?declaration=${lodged.reference}`)).status).toBe(404);
    expect(((await mtraders.get('/api/v1/declarations?limit=200')).body.items as { id: string }[]).some((d) => d.id === lodged.id)).toBe(false);
    // A carrier follows consignments (its B/Ls), never an export it has no document of.
    expect((await server.key('demo-maersk-key').get(`/api/v1/timeline?declaration=${lodged.reference}`)).status).toBe(404);
    expect((await server.key('demo-maersk-key').get(`/api/v1/declarations/${lodged.id}`)).status).toBe(403);
    expect((await server.key('demo-kcb-key').get(`/api/v1/declarations/${lodged.id}`)).status).toBe(403);
    expect((await server.key('demo-kcb-key').get(`/api/v1/timeline?declaration=${lodged.reference}`)).status).toBe(403);
    // The exporter lists it; the trade reads no risk reasons.
    const listed = ((await exporter.get('/api/v1/declarations?limit=200')).body.items as { id: string; regime: string; exitOfficeCode: string; channelReasons?: unknown }[]).find((d) => d.id === lodged.id);
    expect(listed).toMatchObject({ regime: 'EX1', exitOfficeCode: 'MAL' });
    expect(listed).not.toHaveProperty('channelReasons');
    const timeline = await exporter.get(`/api/v1/timeline?declaration=${lodged.reference}`);
    expectStatus(timeline, 200);
    const assessed = (timeline.body.events as { action: string; details: Record<string, unknown> }[]).find((e) => e.action === 'declaration.assessed');
    expect(assessed?.details).not.toHaveProperty('risk');
  });
});
