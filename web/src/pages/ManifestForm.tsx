// A carrier lodges a manifest: by form (voyage and its bills of lading) or by uploading the JSON
// the API takes.
import { Button, FileInput, Group, Paper, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { ProblemAlert, Section } from '../components/common.tsx';
import { useI18n } from '../i18n.tsx';

interface Bl {
  number: string;
  shipperName: string;
  consigneeName: string;
  consigneePin: string;
  packages: string;
  packageKind: string;
  grossMassKg: string;
  description: string;
}

const newBl = (): Bl => ({ number: '', shipperName: '', consigneeName: '', consigneePin: '', packages: '', packageKind: 'CT', grossMassKg: '', description: '' });

export function ManifestForm() {
  const { t } = useI18n();
  const [head, setHead] = useState({ mode: 'sea', conveyanceId: '', conveyanceName: '', voyageNumber: '', portOfLoading: '', portOfDischarge: 'KEMBA', officeCode: 'MBA', expectedArrival: '' });
  const [bls, setBls] = useState<Bl[]>([newBl()]);
  const [uploadError, setUploadError] = useState<string>();
  const lodge = useMutation({ mutationFn: (body: unknown) => api.post<{ id: string; reference: string }>('/manifests', body) });
  const fields = lodge.error instanceof ApiError ? lodge.error.fields : {};
  const setBl = (i: number, patch: Partial<Bl>) => setBls((b) => b.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const body = () => ({
    ...head,
    expectedArrival: head.expectedArrival ? new Date(head.expectedArrival).toISOString() : '',
    documents: bls.map((b) => ({
      number: b.number.trim().toUpperCase(),
      kind: head.mode === 'air' ? 'AWB' : 'BL',
      shipperName: b.shipperName.trim(),
      consigneeName: b.consigneeName.trim(),
      ...(b.consigneePin.trim() ? { consigneePin: b.consigneePin.trim().toUpperCase() } : {}),
      packages: /^\d+$/.test(b.packages) ? Number(b.packages) : b.packages,
      packageKind: b.packageKind.trim().toUpperCase(),
      grossMassKg: b.grossMassKg.trim(),
      description: b.description.trim(),
      cargoCategory: 'home_use',
      containers: [],
    })),
  });
  const upload = async (file: File | null) => {
    setUploadError(undefined);
    if (!file) {
      return;
    }
    if (file.size > 5_000_000) {
      setUploadError(t('manifest.tooLarge'));
      return;
    }
    try {
      lodge.mutate(JSON.parse(await file.text()));
    } catch {
      setUploadError(t('manifest.notJson'));
    }
  };
  return (
    <Stack maw={1100}>
      <Title order={2}>{t('nav.newManifest')}</Title>
      <Paper withBorder p="sm">
        <FileInput label={t('manifest.upload')} description={t('manifest.uploadHint')} accept="application/json,.json" onChange={(f) => void upload(f)} clearable />
        {uploadError && (
          <Text c="red.8" size="sm" role="alert">
            {uploadError}
          </Text>
        )}
      </Paper>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          lodge.mutate(body());
        }}
      >
        <Section title={t('manifest.voyage')}>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
            <Select label={t('manifest.mode')} data={['sea', 'air', 'road', 'rail']} value={head.mode} onChange={(v) => setHead({ ...head, mode: v ?? 'sea' })} allowDeselect={false} />
            <TextInput label={t('manifest.conveyanceId')} value={head.conveyanceId} onChange={(e) => setHead({ ...head, conveyanceId: e.currentTarget.value })} error={fields['/conveyanceId']} required />
            <TextInput label={t('manifest.conveyanceName')} value={head.conveyanceName} onChange={(e) => setHead({ ...head, conveyanceName: e.currentTarget.value })} error={fields['/conveyanceName']} />
            <TextInput label={t('manifest.voyageNumber')} value={head.voyageNumber} onChange={(e) => setHead({ ...head, voyageNumber: e.currentTarget.value })} error={fields['/voyageNumber']} />
            <TextInput label={t('manifest.portOfLoading')} value={head.portOfLoading} onChange={(e) => setHead({ ...head, portOfLoading: e.currentTarget.value })} error={fields['/portOfLoading']} />
            <TextInput label={t('manifest.portOfDischarge')} value={head.portOfDischarge} onChange={(e) => setHead({ ...head, portOfDischarge: e.currentTarget.value })} error={fields['/portOfDischarge']} />
            <TextInput label={t('decl.office')} value={head.officeCode} onChange={(e) => setHead({ ...head, officeCode: e.currentTarget.value })} error={fields['/officeCode']} />
            <TextInput label={t('manifest.expectedArrival')} type="datetime-local" value={head.expectedArrival} onChange={(e) => setHead({ ...head, expectedArrival: e.currentTarget.value })} error={fields['/expectedArrival']} />
          </SimpleGrid>
        </Section>
        <Section
          title={t('manifest.documents')}
          actions={
            <Button size="xs" variant="subtle" onClick={() => setBls([...bls, newBl()])}>
              {t('manifest.addDocument')}
            </Button>
          }
        >
          <Stack>
            {bls.map((b, i) => (
              <Paper key={i} withBorder p="sm">
                <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
                  <TextInput label={t('decl.bl')} value={b.number} onChange={(e) => setBl(i, { number: e.currentTarget.value })} error={fields[`/documents/${i}/number`]} required />
                  <TextInput label={t('manifest.shipper')} value={b.shipperName} onChange={(e) => setBl(i, { shipperName: e.currentTarget.value })} error={fields[`/documents/${i}/shipperName`]} />
                  <TextInput label={t('manifest.consignee')} value={b.consigneeName} onChange={(e) => setBl(i, { consigneeName: e.currentTarget.value })} error={fields[`/documents/${i}/consigneeName`]} />
                  <TextInput label={t('decl.importerPin')} value={b.consigneePin} onChange={(e) => setBl(i, { consigneePin: e.currentTarget.value })} error={fields[`/documents/${i}/consigneePin`]} />
                  <TextInput label={t('decl.packages')} value={b.packages} onChange={(e) => setBl(i, { packages: e.currentTarget.value })} error={fields[`/documents/${i}/packages`]} />
                  <TextInput label={t('manifest.packageKind')} value={b.packageKind} onChange={(e) => setBl(i, { packageKind: e.currentTarget.value })} error={fields[`/documents/${i}/packageKind`]} />
                  <TextInput label={t('decl.grossMass')} value={b.grossMassKg} onChange={(e) => setBl(i, { grossMassKg: e.currentTarget.value })} error={fields[`/documents/${i}/grossMassKg`]} />
                  <TextInput label={t('decl.description')} value={b.description} onChange={(e) => setBl(i, { description: e.currentTarget.value })} error={fields[`/documents/${i}/description`]} />
                </SimpleGrid>
              </Paper>
            ))}
          </Stack>
        </Section>
        <Group>
          <Button type="submit" loading={lodge.isPending}>
            {t('manifest.lodge')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={lodge.error} />
      {lodge.data && (
        <Paper withBorder p="sm" role="status">
          {t('manifest.lodged', { reference: lodge.data.reference })}
        </Paper>
      )}
    </Stack>
  );
}
