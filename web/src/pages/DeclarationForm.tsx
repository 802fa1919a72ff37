// Lodge a declaration: header, documents, item rows with HS autocomplete, a live duty preview
// from the public calculator while typing, and the server's field errors shown at their fields.
// The same form lodges an export (EX1/EX3, POST /exports): the exporter, office of exit,
// destination and goods location instead of the importer and B/L; no import duty preview.
import { Alert, Button, Divider, Group, Paper, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { ProblemAlert, Section } from '../components/common.tsx';
import { HsInput } from '../components/HsInput.tsx';
import { money, sumMoney } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useRouter } from '../router.tsx';
import type { Declaration } from '../types.ts';
import type { CalcResult } from './Calculator.tsx';

interface Item {
  hsCode: string;
  description: string;
  originCountry: string;
  quantity: string;
  unit: string;
  netMassKg: string;
  grossMassKg: string;
  packages: string;
  itemPrice: string;
}

interface Form {
  cpc: string;
  officeCode: string;
  importerPin: string;
  transportDocumentNumber: string;
  invoiceCurrency: string;
  invoiceAmount: string;
  incoterm: string;
  freight: string;
  insurance: string;
  exporterPin: string;
  exitOfficeCode: string;
  destinationCountry: string;
  goodsLocation: string;
  documents: { code: string; reference: string }[];
  items: Item[];
}

const incoterms = ['EXW', 'FCA', 'FAS', 'FOB', 'CFR', 'CIF', 'CPT', 'CIP', 'DAP', 'DPU', 'DDP'];
const newItem = (): Item => ({ hsCode: '', description: '', originCountry: '', quantity: '', unit: 'NAR', netMassKg: '', grossMassKg: '', packages: '', itemPrice: '' });

const trim = (v: string) => v.trim();
const optional = (v: string) => (v.trim() === '' ? undefined : v.trim());

export function declarationBody(form: Form) {
  const invoiceAmount = optional(form.invoiceAmount) ?? sumMoney(form.items.map((i) => i.itemPrice)) ?? '';
  return {
    lodge: true,
    cpc: trim(form.cpc),
    officeCode: trim(form.officeCode).toUpperCase(),
    importerPin: trim(form.importerPin).toUpperCase(),
    transportDocumentNumber: trim(form.transportDocumentNumber).toUpperCase(),
    invoiceCurrency: trim(form.invoiceCurrency).toUpperCase(),
    invoiceAmount,
    incoterm: form.incoterm,
    ...(optional(form.freight) ? { freight: trim(form.freight) } : {}),
    ...(optional(form.insurance) ? { insurance: trim(form.insurance) } : {}),
    documents: form.documents.filter((d) => d.code.trim() || d.reference.trim()).map((d) => ({ code: trim(d.code).toUpperCase(), reference: trim(d.reference) })),
    items: form.items.map((i) => ({
      hsCode: trim(i.hsCode),
      description: trim(i.description),
      originCountry: trim(i.originCountry).toUpperCase(),
      quantity: trim(i.quantity),
      unit: trim(i.unit).toUpperCase(),
      netMassKg: trim(i.netMassKg),
      grossMassKg: trim(i.grossMassKg),
      // A count the server checks; what cannot be read as one is sent as typed, so the error lands on the field.
      packages: /^\d+$/.test(i.packages.trim()) ? Number(i.packages.trim()) : i.packages,
      itemPrice: trim(i.itemPrice),
    })),
  };
}

/** An export as POST /exports takes it: no B/L, freight or insurance (FOB values); the exporter is the consignor. */
export function exportBody(form: Form) {
  const { lodge: _lodge, importerPin: _importer, transportDocumentNumber: _bl, freight: _f, insurance: _i, ...common } = declarationBody(form);
  return {
    ...common,
    exporterPin: trim(form.exporterPin).toUpperCase(),
    exitOfficeCode: trim(form.exitOfficeCode).toUpperCase(),
    destinationCountry: trim(form.destinationCountry).toUpperCase(),
    goodsLocation: trim(form.goodsLocation),
  };
}

function previewBody(form: Form) {
  if (form.items.some((i) => i.hsCode.trim().length < 6 || !/^\d+(\.\d+)?$/.test(i.itemPrice.trim())) || form.invoiceCurrency.trim().length !== 3) {
    return undefined;
  }
  return {
    currency: form.invoiceCurrency.trim().toUpperCase(),
    ...(/^\d{7}$/.test(form.cpc.trim()) ? { cpc: form.cpc.trim() } : {}),
    ...(optional(form.freight) ? { freight: trim(form.freight) } : {}),
    ...(optional(form.insurance) ? { insurance: trim(form.insurance) } : {}),
    items: form.items.map((i) => ({
      hsCode: trim(i.hsCode),
      fob: trim(i.itemPrice),
      ...(i.originCountry.trim().length === 2 ? { originCountry: trim(i.originCountry).toUpperCase() } : {}),
      ...(/^\d+(\.\d+)?$/.test(i.quantity.trim()) ? { quantity: trim(i.quantity), unit: trim(i.unit).toUpperCase() } : {}),
      ...(/^\d+(\.\d+)?$/.test(i.netMassKg.trim()) ? { netMassKg: trim(i.netMassKg) } : {}),
    })),
  };
}

export function DeclarationForm({ kind = 'import' }: { kind?: 'import' | 'export' }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const exporting = kind === 'export';
  const [form, setForm] = useState<Form>({
    cpc: exporting ? '1000100' : '4000000',
    officeCode: exporting ? 'NBI' : 'MBA',
    importerPin: '',
    transportDocumentNumber: '',
    invoiceCurrency: 'USD',
    invoiceAmount: '',
    incoterm: 'FOB',
    freight: '',
    insurance: '',
    exporterPin: '',
    exitOfficeCode: exporting ? 'MBA' : '',
    destinationCountry: '',
    goodsLocation: '',
    documents: [{ code: 'N380', reference: '' }],
    items: [newItem()],
  });
  const lodge = useMutation({
    mutationFn: (body: unknown) => api.post<Declaration>(exporting ? '/exports' : '/declarations', body),
    onSuccess: (d) => navigate(`/portal/declarations/${d.id}`),
  });
  const fields = lodge.error instanceof ApiError ? lodge.error.fields : {};
  const err = (pointer: string) => fields[pointer];

  const [debounced] = useDebouncedValue(form, 600);
  // The calculator gives import duties: an export's levy is assessed on lodgement instead.
  const previewInput = exporting ? undefined : previewBody(debounced);
  const preview = useQuery({
    queryKey: ['preview', previewInput],
    queryFn: () => api.post<CalcResult>('/calculator', previewInput),
    enabled: previewInput !== undefined,
    retry: false,
    staleTime: 30_000,
  });

  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  const setItem = (i: number, patch: Partial<Item>) => setForm((f) => ({ ...f, items: f.items.map((it, j) => (j === i ? { ...it, ...patch } : it)) }));
  const setDoc = (i: number, patch: Partial<{ code: string; reference: string }>) => setForm((f) => ({ ...f, documents: f.documents.map((d, j) => (j === i ? { ...d, ...patch } : d)) }));
  const title = exporting ? t('nav.newExport') : t('nav.newDeclaration');
  const itemsSum = sumMoney(form.items.map((i) => i.itemPrice || '0'));

  return (
    <Stack maw={1100}>
      <Title order={2}>{title}</Title>
      <form
        aria-label={title}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          lodge.mutate(exporting ? exportBody(form) : declarationBody(form));
        }}
      >
        <Stack>
          <Section title={exporting ? t('exp.header') : t('decl.header')}>
            <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
              <TextInput label={t('decl.cpc')} value={form.cpc} onChange={(e) => set({ cpc: e.currentTarget.value })} error={err('/cpc')} required />
              <TextInput label={t('decl.office')} value={form.officeCode} onChange={(e) => set({ officeCode: e.currentTarget.value })} error={err('/officeCode')} required />
              {exporting ? (
                <>
                  <TextInput label={t('exp.exporterPin')} value={form.exporterPin} onChange={(e) => set({ exporterPin: e.currentTarget.value })} error={err('/exporterPin')} required />
                  <TextInput label={t('exp.exitOffice')} value={form.exitOfficeCode} maxLength={3} onChange={(e) => set({ exitOfficeCode: e.currentTarget.value })} error={err('/exitOfficeCode')} required />
                  <TextInput label={t('exp.destination')} value={form.destinationCountry} maxLength={2} onChange={(e) => set({ destinationCountry: e.currentTarget.value })} error={err('/destinationCountry')} required />
                  <TextInput
                    label={t('exp.goodsLocation')}
                    description={t('exp.goodsLocationHint')}
                    value={form.goodsLocation}
                    maxLength={200}
                    onChange={(e) => set({ goodsLocation: e.currentTarget.value })}
                    error={err('/goodsLocation')}
                    required
                  />
                </>
              ) : (
                <>
                  <TextInput label={t('decl.importerPin')} value={form.importerPin} onChange={(e) => set({ importerPin: e.currentTarget.value })} error={err('/importerPin')} required />
                  <TextInput label={t('decl.bl')} value={form.transportDocumentNumber} onChange={(e) => set({ transportDocumentNumber: e.currentTarget.value })} error={err('/transportDocumentNumber')} required />
                </>
              )}
              <TextInput label={t('decl.currency')} value={form.invoiceCurrency} maxLength={3} onChange={(e) => set({ invoiceCurrency: e.currentTarget.value })} error={err('/invoiceCurrency')} required />
              <TextInput
                label={t('decl.invoiceAmount')}
                inputMode="decimal"
                value={form.invoiceAmount}
                placeholder={itemsSum}
                description={t('decl.invoiceAmountHint', { sum: itemsSum ?? '—' })}
                onChange={(e) => set({ invoiceAmount: e.currentTarget.value })}
                error={err('/invoiceAmount')}
              />
              <Select label={t('decl.incoterm')} data={incoterms} value={form.incoterm} onChange={(v) => set({ incoterm: v ?? 'FOB' })} error={err('/incoterm')} allowDeselect={false} />
              {!exporting && (
                <>
                  <TextInput label={t('calc.freight')} inputMode="decimal" value={form.freight} onChange={(e) => set({ freight: e.currentTarget.value })} error={err('/freight')} />
                  <TextInput label={t('calc.insurance')} inputMode="decimal" value={form.insurance} onChange={(e) => set({ insurance: e.currentTarget.value })} error={err('/insurance')} />
                </>
              )}
            </SimpleGrid>
          </Section>

          <Section
            title={t('decl.documents')}
            actions={
              <Button variant="subtle" size="xs" onClick={() => set({ documents: [...form.documents, { code: '', reference: '' }] })}>
                {t('decl.addDocument')}
              </Button>
            }
          >
            <Stack gap="xs">
              {form.documents.map((d, i) => (
                <Group key={i} align="flex-start" wrap="wrap">
                  <TextInput label={t('decl.documentCode')} w={120} value={d.code} onChange={(e) => setDoc(i, { code: e.currentTarget.value })} error={err(`/documents/${i}/code`)} />
                  <TextInput label={t('decl.documentReference')} style={{ flex: 1, minWidth: 180 }} value={d.reference} onChange={(e) => setDoc(i, { reference: e.currentTarget.value })} error={err(`/documents/${i}/reference`)} />
                  <Button variant="subtle" color="red" mt={24} size="xs" onClick={() => set({ documents: form.documents.filter((_, j) => j !== i) })} aria-label={t('decl.removeDocument', { n: i + 1 })}>
                    {t('common.remove')}
                  </Button>
                </Group>
              ))}
            </Stack>
          </Section>

          <Section
            title={t('decl.items')}
            actions={
              <Button variant="subtle" size="xs" onClick={() => set({ items: [...form.items, newItem()] })}>
                {t('calc.addItem')}
              </Button>
            }
          >
            <Stack>
              {form.items.map((item, i) => (
                <Paper key={i} withBorder p="sm" aria-label={t('calc.item', { n: i + 1 })} component="fieldset">
                  <Group justify="space-between">
                    <Text component="legend" fw={600}>
                      {t('calc.item', { n: i + 1 })}
                    </Text>
                    {form.items.length > 1 && (
                      <Button variant="subtle" color="red" size="xs" onClick={() => set({ items: form.items.filter((_, j) => j !== i) })}>
                        {t('common.remove')}
                      </Button>
                    )}
                  </Group>
                  <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
                    <HsInput label={t('calc.hsCode')} name={`items.${i}.hsCode`} value={item.hsCode} onChange={(v) => setItem(i, { hsCode: v })} error={err(`/items/${i}/hsCode`)} required />
                    <TextInput label={t('decl.description')} value={item.description} onChange={(e) => setItem(i, { description: e.currentTarget.value })} error={err(`/items/${i}/description`)} required />
                    <TextInput label={t('calc.origin')} maxLength={2} value={item.originCountry} onChange={(e) => setItem(i, { originCountry: e.currentTarget.value })} error={err(`/items/${i}/originCountry`)} required />
                    <TextInput label={t('decl.itemPrice')} inputMode="decimal" value={item.itemPrice} onChange={(e) => setItem(i, { itemPrice: e.currentTarget.value })} error={err(`/items/${i}/itemPrice`)} required />
                    <TextInput label={t('calc.quantity')} inputMode="decimal" value={item.quantity} onChange={(e) => setItem(i, { quantity: e.currentTarget.value })} error={err(`/items/${i}/quantity`)} required />
                    <TextInput label={t('decl.unit')} value={item.unit} onChange={(e) => setItem(i, { unit: e.currentTarget.value })} error={err(`/items/${i}/unit`)} required />
                    <TextInput label={t('decl.netMass')} inputMode="decimal" value={item.netMassKg} onChange={(e) => setItem(i, { netMassKg: e.currentTarget.value })} error={err(`/items/${i}/netMassKg`)} required />
                    <TextInput label={t('decl.grossMass')} inputMode="decimal" value={item.grossMassKg} onChange={(e) => setItem(i, { grossMassKg: e.currentTarget.value })} error={err(`/items/${i}/grossMassKg`)} required />
                    <TextInput label={t('decl.packages')} inputMode="numeric" value={item.packages} onChange={(e) => setItem(i, { packages: e.currentTarget.value })} error={err(`/items/${i}/packages`)} required />
                  </SimpleGrid>
                </Paper>
              ))}
            </Stack>
          </Section>

          <Paper withBorder p="sm" bg="gray.0" aria-live="polite" data-testid="duty-preview">
            <Text fw={600}>{t('decl.preview')}</Text>
            {previewInput === undefined ? (
              <Text size="sm" c="dimmed">
                {exporting ? t('exp.previewHint') : t('decl.previewHint')}
              </Text>
            ) : preview.data ? (
              <>
                <Text size="sm">
                  {Object.entries(preview.data.totals)
                    .map(([k, v]) => `${k} ${money(v)}`)
                    .join(' · ')}
                </Text>
                <Text fw={700}>KES {money(preview.data.total)}</Text>
                <Text size="xs" c="dimmed">
                  {t('decl.previewNote', { date: preview.data.date })}
                </Text>
              </>
            ) : preview.error instanceof ApiError ? (
              <Text size="sm" c="red.8">
                {preview.error.problem.detail}
              </Text>
            ) : (
              <Text size="sm" c="dimmed">
                {t('common.loading')}
              </Text>
            )}
          </Paper>

          <Divider />
          {lodge.error !== null && <ProblemAlert error={lodge.error} title={exporting ? t('exp.notLodged') : t('decl.notLodged')} />}
          {lodge.isSuccess && <Alert color="green">{t('decl.lodged')}</Alert>}
          <Group>
            <Button type="submit" loading={lodge.isPending}>
              {exporting ? t('exp.lodge') : t('decl.lodge')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
