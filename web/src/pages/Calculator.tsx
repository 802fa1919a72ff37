// The public duty calculator: what the API computes, line by line with the rules it used.
// The inputs travel in the address (?in=...), so a calculation can be shared or bookmarked.
import { Button, Checkbox, CopyButton, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { ProblemAlert, Section } from '../components/common.tsx';
import { HsInput } from '../components/HsInput.tsx';
import { money } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useRouter } from '../router.tsx';

interface CalcItem {
  hsCode: string;
  originCountry: string;
  fob: string;
  quantity: string;
  vehicle: boolean;
  fuel: string;
  engineCc: string;
  make: string;
  model: string;
  firstRegistration: string;
}

interface CalcInput {
  date: string;
  currency: string;
  exchangeRate: string;
  freight: string;
  insurance: string;
  items: CalcItem[];
}

export interface Tax {
  code: string;
  name: string;
  base: string;
  rate: string | null;
  amount: string;
  method: string;
  rule: string;
}

export interface CalcResult {
  currency: string;
  date: string;
  exchangeRate: { rate: string; source: string };
  items: { index: number; hsCode: string; description?: string; customsValue: string; taxes: Tax[]; total: string; valuation: { cif: string; fob: string; freight: string; insurance: string } }[];
  totals: Record<string, string>;
  total: string;
  rulesUsed: { kind: string; id: string; key: string; validFrom: string; validTo: string | null; value?: unknown }[];
  warnings: { code?: string; message: string }[] | string[];
}

const emptyItem = (): CalcItem => ({ hsCode: '', originCountry: '', fob: '', quantity: '', vehicle: false, fuel: 'petrol', engineCc: '', make: '', model: '', firstRegistration: '' });
const emptyInput = (): CalcInput => ({ date: '', currency: 'USD', exchangeRate: '', freight: '', insurance: '', items: [emptyItem()] });

/** The request the API takes, from what was typed: empty fields left out. */
export function calculatorBody(input: CalcInput) {
  const opt = (v: string) => (v.trim() === '' ? undefined : v.trim());
  return {
    currency: input.currency.trim().toUpperCase(),
    ...(opt(input.date) ? { date: input.date } : {}),
    ...(opt(input.exchangeRate) ? { exchangeRate: input.exchangeRate.trim() } : {}),
    ...(opt(input.freight) ? { freight: input.freight.trim() } : {}),
    ...(opt(input.insurance) ? { insurance: input.insurance.trim() } : {}),
    items: input.items.map((i) => ({
      ...(opt(i.hsCode) ? { hsCode: i.hsCode.trim() } : {}),
      ...(opt(i.originCountry) ? { originCountry: i.originCountry.trim().toUpperCase() } : {}),
      ...(opt(i.fob) ? { fob: i.fob.trim() } : {}),
      ...(opt(i.quantity) ? { quantity: i.quantity.trim() } : {}),
      ...(i.vehicle
        ? {
            vehicle: {
              fuel: i.fuel,
              engineCc: Number.parseInt(i.engineCc || '0', 10),
              ...(opt(i.make) ? { make: i.make.trim().toUpperCase() } : {}),
              ...(opt(i.model) ? { model: i.model.trim().toUpperCase() } : {}),
              ...(opt(i.firstRegistration) ? { firstRegistration: i.firstRegistration.trim() } : {}),
            },
          }
        : {}),
    })),
  };
}

function fromAddress(raw: string | null): CalcInput | undefined {
  if (!raw) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(raw) as Partial<CalcInput>;
    const base = emptyInput();
    return { ...base, ...parsed, items: (parsed.items ?? base.items).slice(0, 50).map((i) => ({ ...emptyItem(), ...i })) };
  } catch {
    return undefined;
  }
}

export function Calculator() {
  const { t } = useI18n();
  const { location, navigate } = useRouter();
  const [input, setInput] = useState<CalcInput>(() => fromAddress(location.search.get('in')) ?? emptyInput());
  const calc = useMutation({ mutationFn: (body: unknown) => api.post<CalcResult>('/calculator', body) });
  const fields = calc.error instanceof ApiError ? calc.error.fields : {};

  const run = (value: CalcInput) => {
    navigate(`/calculator?in=${encodeURIComponent(JSON.stringify(value))}`, true);
    calc.mutate(calculatorBody(value));
  };
  // A shared link computes at once.
  useEffect(() => {
    if (location.search.get('in')) {
      calc.mutate(calculatorBody(input));
    }
  }, []);

  const set = (patch: Partial<CalcInput>) => setInput((s) => ({ ...s, ...patch }));
  const setItem = (i: number, patch: Partial<CalcItem>) => setInput((s) => ({ ...s, items: s.items.map((it, j) => (j === i ? { ...it, ...patch } : it)) }));
  const result = calc.data;
  const shareUrl = `${window.location.origin}/calculator?in=${encodeURIComponent(JSON.stringify(input))}`;

  return (
    <Stack maw={1100}>
      <Title order={2}>{t('calc.title')}</Title>
      <Text className="no-print">{t('calc.intro')}</Text>
      <form
        className="no-print"
        aria-label={t('calc.title')}
        onSubmit={(e) => {
          e.preventDefault();
          run(input);
        }}
      >
        <Stack>
          <SimpleGrid cols={{ base: 2, sm: 5 }}>
            <TextInput label={t('calc.date')} type="date" value={input.date} onChange={(e) => set({ date: e.currentTarget.value })} error={fields['/date']} description={t('calc.dateHint')} />
            <TextInput label={t('calc.currency')} value={input.currency} maxLength={3} onChange={(e) => set({ currency: e.currentTarget.value })} error={fields['/currency']} required />
            <TextInput label={t('calc.exchangeRate')} inputMode="decimal" value={input.exchangeRate} onChange={(e) => set({ exchangeRate: e.currentTarget.value })} error={fields['/exchangeRate']} description={t('calc.exchangeRateHint')} />
            <TextInput label={t('calc.freight')} inputMode="decimal" value={input.freight} onChange={(e) => set({ freight: e.currentTarget.value })} error={fields['/freight']} />
            <TextInput label={t('calc.insurance')} inputMode="decimal" value={input.insurance} onChange={(e) => set({ insurance: e.currentTarget.value })} error={fields['/insurance']} description={t('calc.insuranceHint')} />
          </SimpleGrid>
          {input.items.map((item, i) => (
            <Paper key={i} withBorder p="sm">
              <Group justify="space-between" mb="xs">
                <Text fw={600}>{t('calc.item', { n: i + 1 })}</Text>
                {input.items.length > 1 && (
                  <Button variant="subtle" color="red" size="xs" onClick={() => setInput((s) => ({ ...s, items: s.items.filter((_, j) => j !== i) }))}>
                    {t('common.remove')}
                  </Button>
                )}
              </Group>
              <SimpleGrid cols={{ base: 1, sm: 4 }}>
                <HsInput label={t('calc.hsCode')} name={`items.${i}.hsCode`} value={item.hsCode} onChange={(v) => setItem(i, { hsCode: v })} error={fields[`/items/${i}/hsCode`]} description={t('calc.hsHint')} required />
                <TextInput label={t('calc.origin')} maxLength={2} value={item.originCountry} onChange={(e) => setItem(i, { originCountry: e.currentTarget.value })} error={fields[`/items/${i}/originCountry`]} description={t('calc.originHint')} />
                <TextInput label={t('calc.fob')} inputMode="decimal" value={item.fob} onChange={(e) => setItem(i, { fob: e.currentTarget.value })} error={fields[`/items/${i}/fob`]} required={!item.vehicle} />
                <TextInput label={t('calc.quantity')} inputMode="decimal" value={item.quantity} onChange={(e) => setItem(i, { quantity: e.currentTarget.value })} error={fields[`/items/${i}/quantity`]} />
              </SimpleGrid>
              <Checkbox mt="sm" label={t('calc.vehicleMode')} checked={item.vehicle} onChange={(e) => setItem(i, { vehicle: e.currentTarget.checked })} />
              {item.vehicle && (
                <SimpleGrid cols={{ base: 2, sm: 5 }} mt="xs">
                  <Select
                    label={t('calc.fuel')}
                    value={item.fuel}
                    onChange={(v) => setItem(i, { fuel: v ?? 'petrol' })}
                    data={['petrol', 'diesel', 'hybrid', 'hybrid-diesel', 'plug-in-petrol', 'plug-in-diesel', 'electric']}
                    allowDeselect={false}
                  />
                  <TextInput label={t('calc.engineCc')} inputMode="numeric" value={item.engineCc} onChange={(e) => setItem(i, { engineCc: e.currentTarget.value })} error={fields[`/items/${i}/vehicle/engineCc`]} />
                  <TextInput label={t('calc.make')} value={item.make} onChange={(e) => setItem(i, { make: e.currentTarget.value })} error={fields[`/items/${i}/vehicle/make`]} />
                  <TextInput label={t('calc.model')} value={item.model} onChange={(e) => setItem(i, { model: e.currentTarget.value })} error={fields[`/items/${i}/vehicle/model`]} />
                  <TextInput label={t('calc.firstRegistration')} placeholder="2021-03" value={item.firstRegistration} onChange={(e) => setItem(i, { firstRegistration: e.currentTarget.value })} error={fields[`/items/${i}/vehicle/firstRegistration`]} />
                </SimpleGrid>
              )}
            </Paper>
          ))}
          <Group>
            <Button variant="light" onClick={() => setInput((s) => ({ ...s, items: [...s.items, emptyItem()] }))}>
              {t('calc.addItem')}
            </Button>
            <Button type="submit" loading={calc.isPending}>
              {t('calc.calculate')}
            </Button>
          </Group>
        </Stack>
      </form>
      <ProblemAlert error={calc.error} />
      {result && <Breakdown result={result} shareUrl={shareUrl} />}
    </Stack>
  );
}

export function Breakdown({ result, shareUrl }: { result: CalcResult; shareUrl?: string }) {
  const { t } = useI18n();
  return (
    <Stack data-testid="calc-result">
      <Group justify="space-between" align="flex-end">
        <div>
          <Text size="sm" c="dimmed">
            {t('calc.totalLabel', { date: result.date, rate: result.exchangeRate.rate, currency: result.currency })}
          </Text>
          <Title order={3} aria-live="polite">
            KES <span data-testid="calc-total">{money(result.total)}</span>
          </Title>
        </div>
        <Group className="no-print">
          {shareUrl && (
            <CopyButton value={shareUrl}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? t('calc.copied') : t('calc.share')}
                </Button>
              )}
            </CopyButton>
          )}
          <Button variant="light" onClick={() => window.print()}>
            {t('calc.print')}
          </Button>
        </Group>
      </Group>
      {result.items.map((item) => (
        <Section key={item.index} title={`${t('calc.item', { n: item.index + 1 })}: ${item.hsCode}${item.description ? ` — ${item.description}` : ''}`}>
          <Text size="sm">
            {t('calc.customsValue')}: KES {money(item.customsValue)} (FOB {item.valuation.fob}, {t('calc.freight')} {item.valuation.freight}, {t('calc.insurance')} {item.valuation.insurance})
          </Text>
          <Table.ScrollContainer minWidth={520}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('calc.tax')}</Table.Th>
                  <Table.Th className="figure">{t('calc.base')}</Table.Th>
                  <Table.Th className="figure">{t('calc.rate')}</Table.Th>
                  <Table.Th className="figure">{t('calc.amount')}</Table.Th>
                  <Table.Th>{t('calc.rule')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {item.taxes.map((tax) => (
                  <Table.Tr key={tax.code}>
                    <Table.Td>
                      {tax.code} — {tax.name}
                    </Table.Td>
                    <Table.Td className="figure">{money(tax.base)}</Table.Td>
                    <Table.Td className="figure">{tax.rate === null ? '—' : tax.method === 'ad-valorem' ? `${tax.rate}%` : tax.rate}</Table.Td>
                    <Table.Td className="figure" data-tax={tax.code}>
                      {money(tax.amount)}
                    </Table.Td>
                    <Table.Td>
                      <code>{tax.rule}</code>
                    </Table.Td>
                  </Table.Tr>
                ))}
                <Table.Tr>
                  <Table.Td fw={700}>{t('calc.itemTotal')}</Table.Td>
                  <Table.Td />
                  <Table.Td />
                  <Table.Td className="figure" fw={700}>
                    {money(item.total)}
                  </Table.Td>
                  <Table.Td />
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Section>
      ))}
      <Section title={t('calc.rulesUsed')}>
        <Table.ScrollContainer minWidth={520}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('calc.ruleKind')}</Table.Th>
                <Table.Th>{t('calc.ruleKey')}</Table.Th>
                <Table.Th>{t('calc.validFrom')}</Table.Th>
                <Table.Th>{t('calc.validTo')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.rulesUsed.map((r) => (
                <Table.Tr key={`${r.kind}:${r.id}`}>
                  <Table.Td>
                    <code>
                      {r.kind}:{r.id}
                    </code>
                  </Table.Td>
                  <Table.Td>{r.key}</Table.Td>
                  <Table.Td>{r.validFrom}</Table.Td>
                  <Table.Td>{r.validTo ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Section>
      {result.warnings.length > 0 && (
        <Section title={t('calc.warnings')}>
          {result.warnings.map((w, i) => (
            <Text key={i} size="sm">
              {typeof w === 'string' ? w : w.message}
            </Text>
          ))}
        </Section>
      )}
    </Stack>
  );
}
