/** Builders shared by the catalog tests. */
import { FixedClock } from '../shared/clock.ts';
import { SequentialIds } from '../shared/ids.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { createMemoryUnitOfWork } from '../../store/memoryUnitOfWork.ts';
import type { MeterDirectory } from './ports.ts';
import { type MeterRef, type PlanPhase, type RateCard } from './types.ts';
import type { CreatePlanInput } from './PlanService.ts';

export const T0 = new Date('2025-01-01T00:00:00.000Z');

/** Two fixed meters, standing in for the metering domain the catalog only looks meters up in. */
const METERS: MeterRef[] = [
  { id: '01J00000000000000000000M01', key: 'tokens', eventType: 'tokens', aggregation: 'SUM', groupBy: { model: '$.model', type: '$.type' } },
  { id: '01J00000000000000000000M02', key: 'latency', eventType: 'req', aggregation: 'AVG', groupBy: {} },
];
const meters: MeterDirectory = {
  findLiveMeter: (_tx, ref) => METERS.find((m) => (ref.key === undefined || m.key === ref.key) && (ref.id === undefined || m.id === ref.id)),
};

export function setup(): { tx: UnitOfWork; clock: FixedClock; deps: { clock: FixedClock; ids: SequentialIds; meters: MeterDirectory } } {
  const tx = createMemoryUnitOfWork();
  const clock = new FixedClock(T0);
  return { tx, clock, deps: { clock, ids: new SequentialIds(), meters } };
}

export const flatFee = (over: Partial<RateCard> = {}): RateCard =>
  ({ type: 'flat_fee', key: 'base', name: 'Base fee', billingCadence: 'P1M', price: { type: 'flat', amount: '10' }, ...over }) as RateCard;

export const usage = (over: Partial<RateCard> = {}): RateCard =>
  ({ type: 'usage_based', key: 'tokens', name: 'Tokens', featureKey: 'tokens', billingCadence: 'P1M', price: { type: 'unit', amount: '0.01' }, ...over }) as RateCard;

export const phase = (over: Partial<PlanPhase> = {}): PlanPhase => ({ key: 'default', name: 'Default', duration: null, rateCards: [flatFee()], ...over });

export const planInput = (over: Partial<CreatePlanInput> = {}): CreatePlanInput => ({
  key: 'pro',
  name: 'Pro',
  currency: 'USD',
  billingCadence: 'P1M',
  phases: [phase()],
  ...over,
});
