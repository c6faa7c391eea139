import { D, dec, divideDecimal, isDecimalString, roundQuantity, type Dec } from '../../../shared/money.ts';
import { validationError } from '../../../shared/errors.ts';
import type { UnitConfig } from '../../../catalog/types.ts';
import { RatingErrorCode } from '../errors.ts';
import type { PreMutator } from './mutator.ts';

const OPERATIONS = ['multiply', 'divide'];
const ROUNDINGS = ['none', 'ceiling', 'floor', 'half_up'];

/** UnitConfig.Validate (`productcatalog/unitconfig`): every problem, joined as errors.Join does. */
export function unitConfigProblems(c: UnitConfig): string[] {
  const out: string[] = [];
  if (!OPERATIONS.includes(c.operation)) out.push(`operation: invalid unit config operation: ${String(c.operation)}`);
  if (!isDecimalString(c.conversionFactor) || !new D(c.conversionFactor).gt(0)) out.push('conversion_factor must be greater than zero');
  const rounding = c.rounding ?? 'none';
  if (!ROUNDINGS.includes(rounding)) out.push(`rounding: invalid unit config rounding mode: ${String(rounding)}`);
  else if (rounding !== 'none' && c.precision !== undefined && (!Number.isInteger(c.precision) || c.precision < 0)) {
    out.push('precision must not be negative');
  }
  return out;
}

/**
 * The invoiced quantity of UnitConfig.Apply: convert (× or ÷ the factor), then round at
 * `precision` places (default 0) unless rounding is none. Entitlements would use the unrounded
 * value; rating only ever sees this one.
 */
export function applyUnitConfig(raw: Dec, c: UnitConfig): Dec {
  const converted = c.operation === 'multiply' ? raw.mul(dec(c.conversionFactor)) : divideDecimal(raw, c.conversionFactor);
  const rounding = c.rounding ?? 'none';
  return rounding === 'none' ? converted : roundQuantity(converted, c.precision ?? 0, rounding as 'ceiling' | 'floor' | 'half_up');
}

/**
 * Deploy flag on (`mutator/unitconfig.go`): converts the line quantity and the pre-line quantity
 * independently (not as a cumulative total), before the usage discount, so free units and tier
 * bounds are in converted units. Only unit and tiered prices can carry a conversion; anything else
 * reaching here is inconsistent data and is refused rather than billed raw.
 */
export const unitConfigMutator: PreMutator = {
  name: 'unit_config',
  mutate(ctx, usage) {
    const c = ctx.unitConfig;
    if (!c) return usage;
    if (ctx.price.type !== 'unit' && ctx.price.type !== 'tiered') {
      throw validationError(
        RatingErrorCode.unitConfigUnsupportedPrice,
        `price type "${ctx.price.type}": unit_config is set on a price that does not support unit conversion`,
      );
    }
    const problems = unitConfigProblems(c);
    if (problems.length) throw validationError(RatingErrorCode.unitConfigInvalid, `invalid unit_config on line: ${problems.join('\n')}`);
    return {
      ...usage,
      quantity: applyUnitConfig(usage.quantity, c),
      preLinePeriodQuantity: applyUnitConfig(usage.preLinePeriodQuantity, c),
    };
  },
};

/**
 * Deploy flag off (the default, `mutator/forbidunitconfig.go`): a line that carries a unit config
 * is refused, so a dropped conversion surfaces instead of silently billing the raw quantity.
 */
export const forbidUnitConfigMutator: PreMutator = {
  name: 'forbid_unit_config',
  mutate(ctx, usage) {
    if (ctx.unitConfig) {
      throw validationError(
        RatingErrorCode.unitConfigDisabled,
        'refusing to bill raw quantity: unit_config is set on the line but the unitConfig feature is disabled',
      );
    }
    return usage;
  },
};
