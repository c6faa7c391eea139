import { dec, isDecimalString, toDecimalString } from '../../shared/money.ts';
import { IssueCollector, validationError } from '../../shared/errors.ts';
import { CatalogIssueCode } from '../../catalog/errors.ts';
import { finalizeDetailedLines } from './detailedLine.ts';
import { RatingErrorCode } from './errors.ts';
import { priceLine } from './priceLine.ts';
import type { PostMutator, PreMutator, RatingContext, UsageState } from './mutators/mutator.ts';
import { usageDiscountMutator } from './mutators/usageDiscountMutator.ts';
import { percentageDiscountMutator } from './mutators/percentageDiscountMutator.ts';
import { maximumSpendMutator } from './mutators/maximumSpendMutator.ts';
import { minimumSpendMutator } from './mutators/minimumSpendMutator.ts';
import { creditsMutator } from './mutators/creditsMutator.ts';
import { prorationCreditMutator } from './mutators/prorationCreditMutator.ts';
import { forbidUnitConfigMutator, unitConfigMutator } from './mutators/unitConfigMutator.ts';
import type { Price } from '../../catalog/types.ts';
import type { RatingInput, RatingResult } from './types.ts';

export interface Pipeline {
  pre: readonly PreMutator[];
  post: readonly PostMutator[];
}

/**
 * The pipelines of OpenMeter billing/rating/service/pricer.go (`rating/service/pricer.go getPricerFor`). Order matters: the
 * unit conversion runs before the usage discount (free units are in converted units); percentage
 * before maximum spend (the cap sees discounted lines); maximum before minimum spend (the top-up
 * is never capped); credits last, so they pay what the line finally charges. A flat line's
 * proration credit (Zuplo's fork, decision 0032) comes after its percentage discount.
 */
export function pipelineFor(price: Price, opts: { ignoreMinimumCommitment?: boolean; unitConfigEnabled?: boolean } = {}): Pipeline {
  if (price.type === 'flat') return FLAT_PIPELINE;
  return USAGE_PIPELINES[(opts.unitConfigEnabled ? 1 : 0) + (opts.ignoreMinimumCommitment ? 2 : 0)]!;
}

const FLAT_PIPELINE: Pipeline = { pre: [], post: [percentageDiscountMutator, prorationCreditMutator, creditsMutator] };
/** indexed by unitConfigEnabled (1) + ignoreMinimumCommitment (2): built once, not per line */
const USAGE_PIPELINES: readonly Pipeline[] = [false, true].flatMap((ignoreMinimumCommitment) =>
  [false, true].map((unitConfigEnabled) => ({
    pre: [unitConfigEnabled ? unitConfigMutator : forbidUnitConfigMutator, usageDiscountMutator],
    post: [percentageDiscountMutator, maximumSpendMutator, ...(ignoreMinimumCommitment ? [] : [minimumSpendMutator]), creditsMutator],
  })),
);

const validate = (input: RatingInput): void => {
  // the common line (no discounts, credits or proration credit, valid quantities) has nothing to collect
  if (
    input.discounts === undefined &&
    input.creditsApplied === undefined &&
    input.prorationCredit === undefined &&
    isDecimalString(input.quantity) &&
    isDecimalString(input.preLinePeriodQuantity) &&
    isDecimalString(input.previouslyBilledAmount)
  ) {
    return;
  }
  const issues = new IssueCollector();
  for (const field of ['quantity', 'preLinePeriodQuantity', 'previouslyBilledAmount'] as const) {
    if (!isDecimalString(input[field])) issues.add(RatingErrorCode.invalidDecimal, `${field} is not a decimal string`, field);
  }
  const { percentage, usage } = input.discounts ?? {};
  if (percentage) {
    const p = String(percentage.percentage);
    if (!isDecimalString(p) || dec(p).lt(0) || dec(p).gt(100)) {
      issues.add(CatalogIssueCode.percentageDiscountInvalidValue, 'percentage discount must be between 0 and 100', 'discounts.percentage');
    }
  }
  if (usage) {
    if (!isDecimalString(usage.quantity) || dec(usage.quantity).isNegative()) {
      issues.add(CatalogIssueCode.usageDiscountNegativeQuantity, 'usage discount quantity must be >= 0', 'discounts.usage');
    }
    if (input.price.type === 'flat') {
      issues.add(CatalogIssueCode.usageDiscountWithFlatPrice, 'usage discount is not allowed on a flat price', 'discounts.usage');
    }
  }
  (input.creditsApplied ?? []).forEach((c, i) => {
    if (!isDecimalString(c.amount)) issues.add(RatingErrorCode.invalidDecimal, `creditsApplied[${i}].amount is not a decimal string`, `creditsApplied[${i}].amount`);
    else if (!dec(c.amount).gt(0)) issues.add(RatingErrorCode.creditAmountNotPositive, 'amount must be positive', `creditsApplied[${i}].amount`);
  });
  const pc = input.prorationCredit;
  if (pc) {
    if (!isDecimalString(pc.amount)) issues.add(RatingErrorCode.invalidDecimal, 'prorationCredit.amount is not a decimal string', 'prorationCredit.amount');
    else if (!dec(pc.amount).gt(0)) issues.add(RatingErrorCode.creditAmountNotPositive, 'amount must be positive', 'prorationCredit.amount');
  }
  issues.throwIfAny();
};

/** Rates one standard invoice line: pre-mutators → pricer → post-mutators → totals. Pure. */
export const rateLine = (input: RatingInput): RatingResult => {
  validate(input);
  const discounts = input.discounts ?? {};
  const percentageCorrelationId = input.correlationIds?.percentage ?? discounts.percentage?.correlationId;
  const usageCorrelationId = input.correlationIds?.usage ?? discounts.usage?.correlationId;
  // built field by field: this runs for every line of every invoice, and spreading optional
  // fields in costs more than the rest of a flat line's rating
  const ctx: RatingContext = {
    lineName: input.lineName,
    currency: input.currency,
    price: input.price,
    discounts,
    isFirstInPeriod: input.isFirstInPeriod,
    isLastInPeriod: input.isLastInPeriod,
    previouslyBilledAmount: dec(input.previouslyBilledAmount),
    period: input.period,
    fullServicePeriod: input.splitGroupPeriod ?? input.period,
    creditsApplied: input.creditsApplied ?? [],
  };
  if (percentageCorrelationId) ctx.percentageCorrelationId = percentageCorrelationId;
  if (usageCorrelationId) ctx.usageCorrelationId = usageCorrelationId;
  if (input.unitConfig) ctx.unitConfig = input.unitConfig;
  if (input.prorationCredit) ctx.prorationCredit = input.prorationCredit;
  const pipeline = pipelineFor(input.price, input);

  const metered: UsageState = { quantity: dec(input.quantity), preLinePeriodQuantity: dec(input.preLinePeriodQuantity) };
  let usage = metered;
  for (const m of pipeline.pre) usage = m.mutate(ctx, usage);

  let lines = priceLine({
    lineName: input.lineName,
    currency: input.currency,
    price: input.price,
    quantity: usage.quantity,
    preLinePeriodQuantity: usage.preLinePeriodQuantity,
    isFirstInPeriod: input.isFirstInPeriod,
    isLastInPeriod: input.isLastInPeriod,
  });
  for (const m of pipeline.post) lines = m.mutate(ctx, lines);

  const { detailedLines, totals } = finalizeDetailedLines(lines, input.currency);
  // a canonical string: "0" for any zero, so the sign says it all
  if (totals.total.startsWith('-')) {
    throw validationError(RatingErrorCode.negativeTotal, `line "${input.lineName}" total must not be negative (${totals.total})`);
  }
  const ratedQuantity = toDecimalString(usage.quantity);
  // (no conversion and no free units: the rated quantity is the metered one)
  const meteredQuantity = usage.quantity === metered.quantity ? ratedQuantity : toDecimalString(metered.quantity);
  const meteredPreLinePeriodQuantity = toDecimalString(metered.preLinePeriodQuantity);
  return usage.usageDiscount
    ? { detailedLines, totals, usageDiscount: usage.usageDiscount, ratedQuantity, meteredQuantity, meteredPreLinePeriodQuantity }
    : { detailedLines, totals, ratedQuantity, meteredQuantity, meteredPreLinePeriodQuantity };
};
