import type { RateCard } from '../../catalog/types.ts';
import { dec, toDecimalString } from '../../shared/money.ts';
import { floorToSecond } from '../../shared/period.ts';
import { addDuration, parseDuration } from '../../shared/recurrence.ts';
import { resolvePhases } from './billingPeriods.ts';
import { secondsDuration } from './durations.ts';
import type { SubscriptionItemSpec, SubscriptionSpec } from './types.ts';

/** An add-on as billing sees it: its rate cards and how many instances run when. */
export interface AddonBillingInput {
  rateCards: RateCard[];
  /** absolute instants; `activeTo` absent = until the subscription ends */
  segments: Array<{ activeFrom: string; activeTo?: string; quantity: number }>;
}

/**
 * Applies one add-on rate card `times` times to a rate card (subscription/addon/extend.go
 * `SubscriptionAddonRateCard.Apply`, once per instance): a flat amount is added to the target's;
 * a target without a price takes the add-on's (the first instance), later instances add to it;
 * usage-discount quantities add up. A non-flat price on both sides is refused there when the
 * add-on is attached; here the target's price is kept.
 */
export function applyAddonRateCard(target: RateCard | undefined, addon: RateCard, times: number): RateCard | undefined {
  let out = target;
  for (let i = 0; i < times; i++) {
    if (!out) {
      out = structuredClone(addon);
      continue;
    }
    const next: RateCard = { ...out };
    if (addon.price) {
      if (!next.price) next.price = structuredClone(addon.price);
      else if (next.price.type === 'flat' && addon.price.type === 'flat') next.price = { ...next.price, amount: toDecimalString(dec(next.price.amount).add(dec(addon.price.amount))) };
    }
    const extra = addon.discounts?.usage;
    if (extra) {
      const cur = next.discounts?.usage;
      next.discounts = { ...(next.discounts ?? {}), usage: { ...(cur ?? extra), quantity: toDecimalString(dec(cur?.quantity ?? '0').add(dec(extra.quantity))) } };
    }
    out = next;
  }
  return out;
}

interface Piece {
  from: number;
  to?: number;
  base?: RateCard;
}

/**
 * The subscription spec with its add-ons in it (subscription/addon/diff/apply.go): during every
 * add-on instance's cadence its rate cards are present quantity times — merged into the phase's
 * item of the same key, whose version is split at the add-on's boundaries, or as an item of their
 * own where the phase has none. The versions of an affected key are renumbered in time order, so
 * the piece before the add-on keeps its identity (`v[0]`) and the merged piece is a new version.
 */
export function applyAddons(spec: SubscriptionSpec, addons: readonly AddonBillingInput[]): SubscriptionSpec {
  const live = addons.filter((a) => a.segments.some((s) => s.quantity > 0) && a.rateCards.length > 0);
  if (!live.length) return spec;
  const out: SubscriptionSpec = structuredClone(spec);
  const windows = new Map(resolvePhases(out).map((w) => [w.key, w.period]));
  for (const phase of out.phases) {
    const w = windows.get(phase.key);
    if (!w) continue;
    const pFrom = w.from.getTime();
    const pTo = w.to?.getTime();
    const keys = new Set(live.flatMap((a) => a.rateCards.map((r) => r.key)));
    for (const key of keys) {
      const addonCards = live.flatMap((a) => a.rateCards.filter((r) => r.key === key).map((rc) => ({ rc, segments: a.segments })));
      // cut points: add-on boundaries inside the phase
      const cuts = new Set<number>();
      for (const { segments } of addonCards) {
        for (const s of segments) {
          for (const t of [Date.parse(s.activeFrom), s.activeTo ? Date.parse(s.activeTo) : undefined]) {
            if (t !== undefined && t > pFrom && (pTo === undefined || t < pTo)) cuts.add(floorToSecond(new Date(t)).getTime());
          }
        }
      }
      const at = (d: string | undefined, dflt: number | undefined): number | undefined => (d === undefined ? dflt : floorToSecond(addDuration(w.from, parseDuration(d) ?? parseDuration('P0D')!)).getTime());
      const own = phase.items.filter((i) => i.key === key);
      // the base timeline: the item's versions, and gaps (no base) over the rest of the phase
      const pieces: Piece[] = [];
      const sorted = own.map((i) => ({ i, from: at(i.activeFromOverride, pFrom)!, to: at(i.activeToOverride, pTo) })).sort((a, b) => a.from - b.from);
      let cursor = pFrom;
      for (const v of sorted) {
        if (v.from > cursor) pieces.push({ from: cursor, to: v.from });
        pieces.push({ from: v.from, ...(v.to !== undefined ? { to: v.to } : {}), base: v.i.rateCard });
        cursor = v.to ?? Number.POSITIVE_INFINITY;
      }
      if (cursor !== Number.POSITIVE_INFINITY && (pTo === undefined || cursor < pTo)) pieces.push({ from: cursor, ...(pTo !== undefined ? { to: pTo } : {}) });
      // split every piece at the cut points
      const split: Piece[] = [];
      for (const p of pieces) {
        const inner = [...cuts].filter((c) => c > p.from && (p.to === undefined || c < p.to)).sort((a, b) => a - b);
        let from = p.from;
        for (const c of inner) {
          split.push({ from, to: c, ...(p.base ? { base: p.base } : {}) });
          from = c;
        }
        split.push({ from, ...(p.to !== undefined ? { to: p.to } : {}), ...(p.base ? { base: p.base } : {}) });
      }
      const items: SubscriptionItemSpec[] = [];
      for (const p of split) {
        if (p.to !== undefined && p.to <= p.from) continue;
        let rc = p.base;
        for (const { rc: addonRc, segments } of addonCards) {
          const seg = segments.find((s) => Date.parse(s.activeFrom) <= p.from && (!s.activeTo || Date.parse(s.activeTo) > p.from));
          if (seg && seg.quantity > 0) rc = applyAddonRateCard(rc, addonRc, seg.quantity);
        }
        if (!rc) continue;
        items.push({
          key,
          rateCard: rc,
          ...(p.from > pFrom ? { activeFromOverride: secondsDuration(p.from - pFrom) } : {}),
          ...(p.to !== undefined && (pTo === undefined || p.to < pTo) ? { activeToOverride: secondsDuration(p.to - pFrom) } : {}),
        });
      }
      // unchanged (no add-on touches this key in this phase): keep the items as they are
      if (items.length === own.length && items.every((it, n) => JSON.stringify(it.rateCard) === JSON.stringify(sorted[n]?.i.rateCard))) continue;
      phase.items = [...phase.items.filter((i) => i.key !== key), ...items.map((it, n) => ({ ...it, version: n }))];
    }
  }
  return out;
}
