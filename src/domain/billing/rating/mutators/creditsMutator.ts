import { D, roundMoney, toDecimalString } from '../../../shared/money.ts';
import { validationError } from '../../../shared/errors.ts';
import { lineTotal } from '../detailedLine.ts';
import { RatingErrorCode } from '../errors.ts';
import type { PostMutator } from './mutator.ts';

/**
 * Credits (`mutator/credits.go`), the last step: after discounts and both commitments, so credit
 * pays what the line really charges, the minimum-spend top-up included. Each allocation, in
 * order and rounded to the currency, pays the detailed lines in order: a line takes
 * min(its remaining total, the credit left); lines that charge nothing are skipped. Credit that
 * no line can absorb means the ledger allocated more than the line is worth: a critical
 * validation issue, never a negative total.
 */
export const creditsMutator: PostMutator = {
  name: 'credits',
  mutate(ctx, lines) {
    if (ctx.creditsApplied.length === 0) return lines;
    const out = lines.map((l) => ({ ...l, creditsApplied: [...l.creditsApplied] }));
    for (const credit of ctx.creditsApplied) {
      let left = roundMoney(credit.amount, ctx.currency);
      for (const line of out) {
        if (left.isZero()) break;
        const total = lineTotal(line, ctx.currency);
        if (!total.gt(0)) continue;
        const take = total.lte(left) ? total : left;
        line.creditsApplied.push({ ...credit, amount: toDecimalString(take) });
        left = roundMoney(left.sub(take), ctx.currency);
      }
      if (left.gt(new D(0))) {
        throw validationError(RatingErrorCode.creditsNotConsumedFully, 'credits not consumed fully', [
          { code: RatingErrorCode.creditsNotConsumedFully, message: 'credits not consumed fully', severity: 'critical' },
        ]);
      }
    }
    return out;
  },
};
