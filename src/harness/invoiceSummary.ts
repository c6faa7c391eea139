/**
 * The part of an OpenMeter v1 invoice a scenario expects and snapshots: status, period, totals,
 * lines and their detailed lines, amounts as decimal strings exactly as the API answered them.
 * Zero discounts, charges, credits and taxes are left out so the amounts that matter stand out.
 */
type Totals = { amount?: string; chargesTotal?: string; discountsTotal?: string; creditsTotal?: string; taxesTotal?: string; total?: string };
type WireLine = {
  name: string;
  type?: string;
  featureKey?: string;
  period?: { from: string; to: string };
  quantity?: string;
  perUnitAmount?: string;
  category?: string;
  totals?: Totals;
  children?: WireLine[];
  detailedLines?: WireLine[];
};
type WireInvoice = {
  id?: string;
  number?: string;
  status: string;
  currency: string;
  customer?: { key?: string; name?: string };
  period?: { from: string; to: string };
  issuedAt?: string;
  totals?: Totals;
  lines?: WireLine[];
};

export interface InvoiceSummary {
  /** for `save` (the invoice actions need it); normalised in snapshots */
  id?: string;
  customer?: string;
  number?: string;
  status: string;
  currency: string;
  period?: string;
  issuedAt?: string;
  amount?: string;
  discounts?: string;
  charges?: string;
  credits?: string;
  taxes?: string;
  total?: string;
  lines: LineSummary[];
}

export interface LineSummary {
  name: string;
  period?: string;
  quantity?: string;
  unitPrice?: string;
  category?: string;
  amount?: string;
  discounts?: string;
  charges?: string;
  credits?: string;
  total?: string;
  detailedLines?: LineSummary[];
}

const nonZero = (v: string | undefined): string | undefined => (v === undefined || /^-?0(\.0*)?$/.test(v) ? undefined : v);
/** `2026-01-01 → 2026-02-01` for whole days, the instants otherwise */
const period = (p: { from: string; to: string } | undefined): string | undefined => {
  if (!p) return undefined;
  const short = (s: string) => (s.endsWith('T00:00:00Z') ? s.slice(0, 10) : s);
  return `${short(p.from)} → ${short(p.to)}`;
};

function totals(t: Totals | undefined) {
  return {
    amount: t?.amount,
    discounts: nonZero(t?.discountsTotal),
    charges: nonZero(t?.chargesTotal),
    credits: nonZero(t?.creditsTotal),
    taxes: nonZero(t?.taxesTotal),
    total: t?.total,
  };
}

const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function line(l: WireLine, detailed: boolean): LineSummary {
  const children = l.children ?? l.detailedLines ?? [];
  return clean({
    name: l.name,
    period: period(l.period),
    quantity: l.quantity,
    unitPrice: detailed ? l.perUnitAmount : undefined,
    category: detailed && l.category && l.category !== 'regular' ? l.category : undefined,
    ...totals(l.totals),
    detailedLines: !detailed && children.length > 0 ? children.map((c) => line(c, true)) : undefined,
  });
}

export function summariseInvoice(inv: WireInvoice): InvoiceSummary {
  return clean({
    id: inv.id,
    customer: inv.customer?.key ?? inv.customer?.name,
    number: inv.number,
    status: inv.status,
    currency: inv.currency,
    period: period(inv.period),
    issuedAt: inv.issuedAt,
    ...totals(inv.totals),
    lines: (inv.lines ?? []).map((l) => line(l, false)),
  });
}
