// A declaration's goods, one row per item: the same table on the declarant's page and the
// officer's task.
import { Table } from '@mantine/core';
import { money } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import type { Declaration } from '../types.ts';

export function ItemsTable({ declaration: d }: { declaration: Pick<Declaration, 'items' | 'invoice'> }) {
  const { t } = useI18n();
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>{t('calc.hsCode')}</Table.Th>
            <Table.Th>{t('decl.description')}</Table.Th>
            <Table.Th>{t('calc.origin')}</Table.Th>
            <Table.Th className="figure">{t('calc.quantity')}</Table.Th>
            <Table.Th className="figure">{t('decl.itemPrice')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {d.items.map((i) => (
            <Table.Tr key={i.itemNo}>
              <Table.Td>{i.itemNo}</Table.Td>
              <Table.Td>{i.hsCode}</Table.Td>
              <Table.Td>{i.description}</Table.Td>
              <Table.Td>{i.originCountry}</Table.Td>
              <Table.Td className="figure">
                {i.quantity} {i.unit}
              </Table.Td>
              <Table.Td className="figure">
                {d.invoice.currency} {money(i.itemPrice)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
