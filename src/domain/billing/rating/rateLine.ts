import { dec, isDecimalString, toDecimalString } from '../../shared/money.ts';
import { IssueCollector, validationError } from '../../shared/errors.ts';
import { CatalogIssueCode } from '../../catalog/errors.ts';
import { finalizeDetailedLine, sumTotals } from './detailedLine.ts';
import { RatingErrorCode } from './errors.ts';
import { priceLine } from './priceLine.ts';
import type { PostMutator, PreMutator, RatingContext, UsageState } from './mutators/mutator.ts';
import { usageDiscountMutator } from './mutators/usageDiscountMutator.ts';
import { percentageDiscountMutator } from './mutators/percentageDiscountMutator.ts';
import { maximumSpendMutator } from './mutators/maximumSpendMutator.ts';
import { minimumSpendMutator } from './mutators/minimumSpendMutator.ts';
import type { RatingInput, RatingResult } from './types.ts';

/**
 * The pipelines of engine.md §1.2. Order matters: percentage before maximum spend (the cap sees
 * discounted lines), maximum before minimum spend (the top-up is never capped). Unit config and
 * credits are not implemented (see README).
 */
export const FLAT_PIPELINE: { pre: readonly PreMutator[]; post: readonly PostMutator[] } = {
  pre: [],
  post: [percentageDiscountMutator],
};
export const USAGE_PIPELINE: { pre: readonly PreMutator[]; post: readonly PostMutator[] } = {
  pre: [usageDiscountMutator],
  post: [percentageDiscountMutator, maximumSpendMutator, minimumSpendMutator],
};

const validate = (input: RatingInput): void => {
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
  issues.throwIfAny();
};

/** Rates one standard invoice line: pre-mutators → pricer → post-mutators → totals. Pure. */
export const rateLine = (input: RatingInput): RatingResult => {
  validate(input);
  const discounts = input.discounts ?? {};
  const percentageCorrelationId = input.correlationIds?.percentage ?? discounts.percentage?.correlationId;
  const usageCorrelationId = input.correlationIds?.usage ?? discounts.usage?.correlationId;
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
    ...(percentageCorrelationId ? { percentageCorrelationId } : {}),
    ...(usageCorrelationId ? { usageCorrelationId } : {}),
  };
  const pipeline = input.price.type === 'flat' ? FLAT_PIPELINE : USAGE_PIPELINE;

  const metered: UsageState = { quantity: dec(input.quantity), preLinePeriodQuantity: dec(input.preLinePeriodQuantity) };
  const usage = pipeline.pre.reduce((u, m) => m.mutate(ctx, u), metered);

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

  const detailedLines = lines.map((l) => finalizeDetailedLine(l, input.currency));
  const totals = sumTotals(
    detailedLines.map((l) => l.totals),
    input.currency,
  );
  if (dec(totals.total).isNegative()) {
    throw validationError(RatingErrorCode.negativeTotal, `line "${input.lineName}" total must not be negative (${totals.total})`);
  }
  return {
    detailedLines,
    totals,
    ...(usage.usageDiscount ? { usageDiscount: usage.usageDiscount } : {}),
    ratedQuantity: toDecimalString(usage.quantity),
    meteredQuantity: toDecimalString(metered.quantity),
    meteredPreLinePeriodQuantity: toDecimalString(metered.preLinePeriodQuantity),
  };
};
