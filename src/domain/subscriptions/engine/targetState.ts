import { PaymentTerm, type Price } from '../../catalog/types.ts';
import { D, roundMoney, toDecimalString } from '../../shared/money.ts';
import { floorToSecond, type Period } from '../../shared/period.ts';
import { addDuration, boundaryIndexAt, nthBoundary } from '../../shared/recurrence.ts';
import {
  activeToOf,
  billingRecurrenceAt,
  clipToPhase,
  duration,
  instant,
  phaseAt,
  resolvePhases,
  type OpenPeriod,
  type ResolvedPhase,
} from './billingPeriods.ts';
import { SubscriptionEndProrationMode, type SubscriptionItemSpec, type SubscriptionSpec, type TargetLine } from './types.ts';

const ms = (t: Date): number => t.getTime();
const maxDate = (a: Date, b: Date): Date => (ms(a) >= ms(b) ? a : b);
const minDate = (a: Date, b: Date): Date => (ms(a) <= ms(b) ? a : b);
const seconds = (p: Period): number => (ms(p.to) - ms(p.from)) / 1000;

/** Flat prices default to in advance; every usage price is billed in arrears. */
export function paymentTermOf(price: Price): PaymentTerm {
  return price.type === 'flat' ? (price.paymentTerm ?? PaymentTerm.inAdvance) : PaymentTerm.inArrears;
}

/**
 * Where generation stops: the end of the aligned billing period containing asOf. Outside the
 * subscription the plain recurrence period is used (before the start it still lets the first
 * in-advance fee appear once asOf is in the period just before activeFrom; after the end every
 * line is already bounded by activeTo).
 */
export function generationHorizon(spec: SubscriptionSpec, asOf: Date): Date {
  const recurrence = billingRecurrenceAt(spec, asOf);
  const phase = phaseAt(spec, asOf);
  return phase ? clipToPhase(recurrence, phase.period).to : recurrence.to;
}

/** The item version's active interval: the phase narrowed by its overrides (relative to the phase start). */
function itemInterval(phase: ResolvedPhase, item: SubscriptionItemSpec, field: string): OpenPeriod {
  let { from, to } = phase.period;
  if (item.activeFromOverride !== undefined) {
    from = maxDate(from, floorToSecond(addDuration(phase.period.from, duration(item.activeFromOverride, `${field}.activeFromOverride`, true))));
  }
  if (item.activeToOverride !== undefined) {
    const end = floorToSecond(addDuration(phase.period.from, duration(item.activeToOverride, `${field}.activeToOverride`, true)));
    to = to ? minDate(to, end) : end;
  }
  return to ? { from, to } : { from };
}

interface Candidate {
  servicePeriod: Period;
  fullServicePeriod: Period;
  periodIndex?: number;
}

/**
 * The subscription's wanted invoice lines as of `asOf` (OpenMeter subscription/subscriptionspec.go): every item's
 * periods up to the generation horizon, with identities that do not depend on asOf.
 */
export function targetLines(spec: SubscriptionSpec, asOf: Date): TargetLine[] {
  return new TargetLineGenerator(spec).linesUpTo(generationHorizon(spec, floorToSecond(asOf)));
}

/** When a line is due for syncing: generated one billing period ahead, so at its billing period's start at the latest. */
export const lineDueAt = (l: TargetLine): number => Math.min(ms(l.invoiceAt), ms(l.billingPeriod.from));

/** One priced item version's periods, generated as far as a horizon has asked for. */
interface Track {
  lines: TargetLine[];
  /** the next candidate: a period index, or for a one-time item 0 until its single line is out */
  next: number;
  done: boolean;
  /** a one-time item has a single candidate */
  oneTime: boolean;
  /** the next candidate when it lay past the last horizon: kept, not computed again at the next ask */
  peek?: Produced;
  produce(n: number): 'done' | Produced;
}

/** a candidate period: when it is invoiced, and its line (undefined when it bills nothing) */
interface Produced {
  invoiceAt: number;
  line: TargetLine | undefined;
}

/**
 * The target lines of one billing spec, generated lazily and kept: a line depends only on the
 * spec and its period, and both invoiceAt and the due instant grow with the period, so asking
 * for a later horizon continues each item where the last ask stopped instead of regenerating
 * the whole history, and an earlier horizon (or a window of lines due after an instant) is a
 * slice of what is kept. `linesUpTo` returns exactly what one pass of the engine up to that
 * horizon would, in the same order (phase by phase, item by item, period by period).
 */
export class TargetLineGenerator {
  private readonly tracks: Track[] = [];
  private reached = Number.NEGATIVE_INFINITY;

  constructor(spec: SubscriptionSpec) {
    const anchor = instant(spec.billingAnchor, 'billingAnchor');
    resolvePhases(spec).forEach((phase) => {
      phase.spec.items.forEach((item, itemIdx) => {
        const price = item.rateCard.price;
        // A rate card without a price (e.g. a free-trial phase) bills nothing.
        if (!price) return;
        const field = `phases[${phase.key}].items[${itemIdx}]`;
        const active = itemInterval(phase, item, field);
        const term = paymentTermOf(price);
        const inAdvanceFlat = price.type === 'flat' && term === PaymentTerm.inAdvance;
        // a line depends on its candidate alone, not on the horizon it is asked up to
        const emit = (c: Candidate): Produced => {
          const billingPeriod = clipToPhase(billingRecurrenceAt(spec, c.servicePeriod.from), phase.period);
          const invoiceAt = inAdvanceFlat ? billingPeriod.from : maxDate(c.servicePeriod.to, billingPeriod.to);
          return { invoiceAt: ms(invoiceAt), line: buildLine(spec, phase, item, price, term, c, billingPeriod, invoiceAt) };
        };

        const cadenceText = item.rateCard.billingCadence;
        if (cadenceText === null) {
          // One-time: a single line over the item's interval, zero-length while the interval is open.
          const servicePeriod = { from: active.from, to: active.to ?? active.from };
          this.tracks.push({ lines: [], next: 0, done: false, oneTime: true, produce: () => emit({ servicePeriod, fullServicePeriod: servicePeriod }) });
          return;
        }
        const cadence = duration(cadenceText, `${field}.rateCard.billingCadence`);
        const first = boundaryIndexAt(anchor, cadence, active.from);
        this.tracks.push({
          lines: [],
          next: first,
          done: false,
          oneTime: false,
          produce: (n) => {
            const full = { from: floorToSecond(nthBoundary(anchor, cadence, n)), to: floorToSecond(nthBoundary(anchor, cadence, n + 1)) };
            if (active.to && ms(full.from) >= ms(active.to)) return 'done';
            const servicePeriod = { from: maxDate(full.from, active.from), to: active.to ? minDate(full.to, active.to) : full.to };
            // A zero-length item (from == to) has no cadenced period at all.
            if (ms(servicePeriod.to) <= ms(servicePeriod.from)) return 'done';
            return emit({ servicePeriod, fullServicePeriod: full, periodIndex: n - first });
          },
        });
      });
    });
  }

  private extendTo(horizon: Date): void {
    if (ms(horizon) <= this.reached) return;
    const until = ms(horizon);
    for (const t of this.tracks) {
      while (!t.done) {
        const r = t.peek ?? t.produce(t.next);
        if (r === 'done') {
          t.done = true;
          break;
        }
        // past the horizon: asked again with a later one
        if (r.invoiceAt > until) {
          t.peek = r;
          break;
        }
        t.peek = undefined;
        if (r.line) t.lines.push(r.line);
        t.next++;
        if (t.oneTime) t.done = true;
      }
    }
    this.reached = ms(horizon);
  }

  /** The lines up to `horizon` (a generation horizon); with `after`, only those due after that instant (ms). */
  linesUpTo(horizon: Date, after?: number): TargetLine[] {
    const out: TargetLine[] = [];
    for (const r of this.rangesUpTo(horizon, after)) for (let i = r.start; i < r.end; i++) out.push(r.lines[i]!);
    return out;
  }

  /**
   * What `linesUpTo` returns, as a range of each item version's lines in order: a line keeps its
   * track and position for the generator's life, so a caller can keep what it derives per line
   * in arrays beside them.
   */
  rangesUpTo(horizon: Date, after?: number): Array<{ track: number; lines: readonly TargetLine[]; start: number; end: number }> {
    this.extendTo(horizon);
    const until = ms(horizon);
    return this.tracks.map((t, track) => {
      let end = t.lines.length;
      while (end > 0 && ms(t.lines[end - 1]!.invoiceAt) > until) end--;
      let start = 0;
      if (after !== undefined) {
        start = end;
        while (start > 0 && lineDueAt(t.lines[start - 1]!) > after) start--;
      }
      return { track, lines: t.lines, start, end };
    });
  }
}

function buildLine(
  spec: SubscriptionSpec,
  phase: ResolvedPhase,
  item: SubscriptionItemSpec,
  price: Price,
  paymentTerm: PaymentTerm,
  c: Candidate,
  billingPeriod: Period,
  invoiceAt: Date,
): TargetLine | undefined {
  const serviceEmpty = seconds(c.servicePeriod) <= 0;
  // Empty service periods are dropped, except for flat prices (one-time fees of an open phase).
  if (serviceEmpty && price.type !== 'flat') return undefined;
  // In arrears with nothing elapsed to bill for: not billable (yet).
  if (paymentTerm === PaymentTerm.inArrears && seconds(c.fullServicePeriod) <= 0) return undefined;

  let amount: string | undefined;
  if (price.type === 'flat') {
    const value = flatAmount(spec, price.amount, c);
    if (value.isZero()) return undefined;
    amount = toDecimalString(value);
  }
  const base = `${spec.id}/${phase.key}/${item.key}/v[${item.version ?? 0}]`;
  return {
    childUniqueReferenceId: c.periodIndex === undefined ? base : `${base}/period[${c.periodIndex}]`,
    name: item.rateCard.name,
    phaseKey: phase.key,
    itemKey: item.key,
    price,
    ...(item.rateCard.featureKey !== undefined ? { featureKey: item.rateCard.featureKey } : {}),
    ...(item.rateCard.taxConfig ? { taxConfig: item.rateCard.taxConfig } : {}),
    servicePeriod: c.servicePeriod,
    fullServicePeriod: c.fullServicePeriod,
    billingPeriod,
    invoiceAt,
    ...(amount !== undefined ? { amount } : {}),
    paymentTerm,
  };
}

/** §3.4: price × service/full seconds, rounded once at the currency precision. */
function flatAmount(spec: SubscriptionSpec, priceAmount: string, c: Candidate) {
  const end = activeToOf(spec);
  const cutBySubscriptionEnd = end !== undefined && ms(end) <= ms(c.servicePeriod.to);
  const billFull = spec.subscriptionEndProrationMode === SubscriptionEndProrationMode.billFullPeriod && cutBySubscriptionEnd;
  const prorate =
    spec.proRatingConfig.enabled &&
    spec.proRatingConfig.mode === 'prorate_prices' &&
    seconds(c.servicePeriod) > 0 &&
    seconds(c.fullServicePeriod) > 0 &&
    !billFull;
  const value = prorate
    ? new D(priceAmount).times(seconds(c.servicePeriod)).dividedBy(seconds(c.fullServicePeriod))
    : new D(priceAmount);
  return roundMoney(value, spec.currency);
}
