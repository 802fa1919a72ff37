// Reference-data uploads for administrators (the web's Administration page): the same importers
// the command line runs (`forodha tariff|rates|crsp import FILE`), given the file's text in a JSON
// body. Each import checks the whole file first and loads all-or-nothing in one transaction; a
// refused file changes nothing and the answer lists every bad line (line, field, message).
// A repeat of the same file (a retried request) changes nothing either: every row is found
// unchanged, so no Idempotency-Key bookkeeping is needed on top (and the importers' own
// transaction cannot nest in one: the embedded database has a single connection).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../schema.ts';
import { bodyLimits } from '#platform/http/input-guard.ts';
import { principalOf } from '#platform/http/auth.ts';
import { ProblemError } from '#platform/http/problem.ts';
import { FreeText } from '#platform/http/schemas.ts';
import { importRates, importTariff, type ImportReport } from '#modules/tariff/index.ts';
import { importCrsp } from '#modules/vehicle/index.ts';

export const uploadKinds = ['tariff', 'exchange-rates', 'crsp'] as const;
export type UploadKind = (typeof uploadKinds)[number];

type Importer = (db: Kysely<DB>, file: string, o: { importedBy: string; dryRun?: boolean }) => Promise<ImportReport>;

/** What can be uploaded, and the importer (of the module that owns the data) that loads it. */
const importers: Record<UploadKind, Importer> = {
  tariff: importTariff,
  'exchange-rates': importRates,
  crsp: importCrsp,
};

/** Most characters of a file's text (the route's body limit leaves room for JSON escapes). */
export const maxUploadChars = 4_000_000;
/** Most bad lines listed in one answer (the count says how many there were). */
export const maxListedLines = 1_000;

const UploadBody = Type.Object(
  {
    fileName: Type.String({ minLength: 1, maxLength: 120, pattern: '^[\\w][\\w .()-]*$', description: 'The file name, as the report names it (letters, digits, space . ( ) - _)' }),
    content: FreeText(maxUploadChars, { minLength: 1, description: 'The CSV text, header line first (UTF-8)' }),
    dryRun: Type.Optional(Type.Boolean({ description: 'Check every line and report what would load, loading nothing' })),
  },
  { additionalProperties: false },
);

const KindParams = Type.Object({ kind: Type.Union([Type.Literal('tariff'), Type.Literal('exchange-rates'), Type.Literal('crsp')], { description: 'tariff, exchange-rates or crsp' }) });

export function uploadsRoutes(deps: { db: Kysely<DB>; onLoaded: (kind: UploadKind) => void }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api/v1/uploads/:kind',
      {
        schema: {
          tags: ['administration'],
          summary: 'Upload reference data (tariff, exchange rates, CRSP): checked whole, loaded all-or-nothing (admin)',
          description:
            'The file is the CSV the command line takes (forodha tariff|rates|crsp import). 200: the summary (rows checked, loaded, unchanged, earlier versions closed). 422 import-refused: nothing loaded, and `lines` lists each bad line as {line, field, message}.',
          params: KindParams,
          body: UploadBody,
        },
        bodyLimit: bodyLimits.max,
        config: { access: ['admin'] },
      },
      async (request) => {
        const { kind } = request.params;
        const who = principalOf(request);
        const dir = await mkdtemp(path.join(tmpdir(), 'forodha-upload-'));
        try {
          const file = path.join(dir, request.body.fileName);
          await writeFile(file, request.body.content, 'utf8');
          const dryRun = request.body.dryRun === true;
          const report = await importers[kind](deps.db, file, { importedBy: `${who.name} (web, ${who.kind} ${who.id})`, dryRun });
          if (!report.ok) {
            const lines = report.errors.slice(0, maxListedLines).map((e) => ({ line: e.line, field: e.field ?? null, message: e.message }));
            throw new ProblemError({
              type: 'import-refused',
              title: 'The file was not loaded',
              status: 422,
              detail: `${report.file}: ${report.errors.length} problem(s); nothing was loaded. Fix the lines listed and upload the file again.`,
              errors: [{ pointer: '/content', code: 'bad_lines', message: `${report.errors.length} line problem(s), listed in "lines"` }],
              lines,
              linesTotal: report.errors.length,
            });
          }
          if (!dryRun) {
            deps.onLoaded(kind);
          }
          return { kind, file: report.file, dryRun, rows: report.rows, loaded: report.loaded, unchanged: report.unchanged, closed: report.closed, importId: report.importId ?? null };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    );
  };
}
