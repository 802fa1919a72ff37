export interface ReferenceTables {
  country: { code: string; alpha3: string; numeric: string; name: string };
  currency: { code: string; numeric: string | null; name: string; minor_units: number };
  locode: { code: string; name: string; country: string; subdivision: string | null; functions: string; kind: string; note: string | null };
  customs_office: { code: string; name: string; locode: string | null; country: string; kind: string; note: string | null };
  regime: { code: string; name: string; direction: string; description: string };
  procedure_code: { code: string; regime: string | null; description: string; direction: string; note: string | null };
  document_code: { code: string; name: string; issuer: string | null; note: string | null };
  unit: { code: string; name: string; symbol: string | null; kind: string; factor: string | null; note: string | null };
}
