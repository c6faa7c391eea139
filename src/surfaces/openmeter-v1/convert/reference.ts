import type { CurrencyView, EventCount, Progress } from '../../../domain/reference/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

export const toApiCurrency = (c: CurrencyView): S['Currency'] => ({ code: c.code, name: c.name, symbol: c.symbol ?? c.code, subunits: c.precision });

export const toApiProgress = (p: Progress): S['Progress'] => ({ success: p.success, failed: p.failed, total: p.total, updatedAt: p.updatedAt });

/** Prometheus label value escaping: backslash, double quote and newline. */
const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The real service's exposition (one counter family; invalid events carry `error="true"`), in the
 * Prometheus text format 0.0.4.
 */
export function toPrometheusText(counts: EventCount[]): string {
  const lines = ['# HELP openmeter_events_total Number of ingested events', '# TYPE openmeter_events_total counter'];
  for (const c of counts) {
    const labels = [`subject="${label(c.subject)}"`, ...(c.invalid ? ['error="true"'] : [])].join(',');
    lines.push(`openmeter_events_total{${labels}} ${c.count}`);
  }
  return lines.join('\n') + '\n';
}
