// What the calculator checks of a declared vehicle before the engine values it:
// - the 87.03 line must fit the vehicle's fuel and engine size, so a 2,500 cc petrol car cannot
//   pay the 1,500 cc line's excise. A national line carrying vehicle_fuel/engine_cc_* is checked
//   against itself; a split without them (ambulances, other) against the lines of its HS
//   subheading that carry them (the subheading, not the split, fixes fuel and capacity);
// - a used vehicle is named (make, model) and found in the CRSP schedule in force.
import type { TariffService, LineLookup } from '#modules/tariff/index.ts';
import type { CrspMatch, CrspSchedule } from './crsp.port.ts';

type LineRow = Extract<LineLookup, { ok: true }>['row'];

export const isPassengerCarLine = (hsDigits: string) => hsDigits.startsWith('8703');

function fitsRow(row: LineRow, fuel: string, engineCc: number): boolean {
  return row.vehicle_fuel === fuel && (row.engine_cc_min ?? 0) <= engineCc && (row.engine_cc_max === null || engineCc <= row.engine_cc_max);
}

const band = (row: LineRow) => `${row.vehicle_fuel ?? ''} ${row.engine_cc_min ?? 0}${row.engine_cc_max === null ? '+' : `-${row.engine_cc_max}`} cc`;

/** Why the declared 87.03 line does not fit the vehicle, naming the line that does; undefined when it fits. */
export async function vehicleLineMismatch(tariff: TariffService, row: LineRow, fuel: string, engineCc: number, date: string): Promise<string | undefined> {
  let bands: LineRow[];
  if (row.vehicle_fuel !== null) {
    bands = [row];
  } else {
    const siblings = await tariff.search(row.hs_code.slice(0, 6), date, 50);
    const lookups = await tariff.linesInForce(siblings.map((m) => m.hsCode), date);
    bands = [...lookups.values()].flatMap((l) => (l.ok && l.row.vehicle_fuel !== null ? [l.row] : []));
  }
  if (bands.length === 0 || bands.some((b) => fitsRow(b, fuel, engineCc))) {
    return undefined;
  }
  const fitting = await tariff.vehicleLine(fuel, engineCc, date);
  const declared = `the declared line is for ${bands.map(band).join(' or ')}`;
  return fitting.ok
    ? `a ${fuel} vehicle of ${engineCc} cc goes under ${fitting.measure.hsCode} (${fitting.measure.description}); ${declared}`
    : `no 87.03 line in force on ${date} fits a ${fuel} vehicle of ${engineCc} cc; ${declared}`;
}

export interface UsedVehicleAsked {
  make?: string;
  model?: string;
  body?: string;
  drive?: string;
  fuel: string;
  engineCc: number;
}

/** The CRSP row for a used vehicle, or the field errors that stop it being looked up. */
export async function findCrsp(crsp: CrspSchedule, v: UsedVehicleAsked, date: string): Promise<CrspMatch | { missing: ('make' | 'model')[] }> {
  const missing = (['make', 'model'] as const).filter((k) => v[k] === undefined || v[k].trim() === '');
  if (missing.length > 0 || v.make === undefined || v.model === undefined) {
    return { missing: [...missing] };
  }
  return crsp.find(
    {
      make: v.make.trim(),
      model: v.model.trim(),
      fuel: v.fuel,
      engineCc: v.engineCc,
      ...(v.body === undefined ? {} : { body: v.body.trim() }),
      ...(v.drive === undefined ? {} : { drive: v.drive.trim() }),
    },
    date,
  );
}
