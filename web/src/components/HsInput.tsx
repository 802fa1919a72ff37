// HS code with autocomplete from the tariff in force: by code prefix or words of the description.
import { Autocomplete, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { api, qs } from '../api.ts';

export interface TariffLine {
  hsCode: string;
  description: string;
  unit: string | null;
  importDuty: { rate: string | null };
  excise: { rate: string | null };
  vat: string;
}

export function useTariffSearch(q: string, date?: string) {
  const [term] = useDebouncedValue(q.trim(), 250);
  return useQuery({
    queryKey: ['tariff', term, date],
    queryFn: () => api.get<{ lines: TariffLine[] }>(`/tariff/lines${qs({ q: term, date, limit: 15 })}`),
    enabled: term.length >= 2,
    staleTime: 60_000,
  });
}

export function HsInput(props: { label: string; value: string; onChange: (v: string) => void; error?: string | undefined; date?: string; required?: boolean; name?: string; description?: string }) {
  const search = useTariffSearch(props.value, props.date);
  const lines = search.data?.lines ?? [];
  const byCode = new Map(lines.map((l) => [l.hsCode, l]));
  const chosen = byCode.get(props.value);
  return (
    <Autocomplete
      label={props.label}
      {...(props.name === undefined ? {} : { name: props.name })}
      value={props.value}
      onChange={props.onChange}
      error={props.error}
      required={props.required ?? false}
      description={chosen ? chosen.description : props.description}
      data={lines.map((l) => l.hsCode)}
      filter={({ options }) => options}
      limit={15}
      maxDropdownHeight={280}
      renderOption={({ option }) => (
        <div>
          <Text size="sm" fw={600}>
            {option.value}
          </Text>
          <Text size="xs" c="dimmed">
            {byCode.get(option.value)?.description}
          </Text>
        </div>
      )}
      autoComplete="off"
    />
  );
}
