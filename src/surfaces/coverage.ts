import { NOT_BUILT, type OperationInfo } from './http/types.ts';
import { handlers as v1Handlers } from './openmeter-v1/handlers.ts';
import { operations as v1Ops } from './openmeter-v1/operations.gen.ts';
import { handlers as v3Handlers } from './konnect-v3/handlers.ts';
import { operations as v3Ops } from './konnect-v3/operations.gen.ts';
import { handlers as zuploHandlers } from './zuplo/handlers.ts';
import { operations as zuploOps } from './zuplo/operations.gen.ts';

export interface CoverageRow {
  name: string;
  prefix: string;
  implemented: number;
  total: number;
  missing: string[];
}

const row = (name: string, prefix: string, ops: readonly OperationInfo[], map: Record<string, unknown>): CoverageRow => {
  const missing = ops.filter((o) => map[o.operationId] === NOT_BUILT || map[o.operationId] === undefined).map((o) => o.operationId);
  return { name, prefix, implemented: ops.length - missing.length, total: ops.length, missing };
};

/** Computed from the typed handler maps, so the figure cannot drift from the code. */
export function coverageReport(): CoverageRow[] {
  return [row('openmeter-v1', '/api/v1', v1Ops, v1Handlers), row('konnect-v3', '/v3/openmeter', v3Ops, v3Handlers), row('zuplo', '/v1', zuploOps, zuploHandlers)];
}

export interface DocumentedOperation extends OperationInfo {
  surface: string;
  implemented: boolean;
}

/** Every operation the vendor documents, per surface: the denominator of a test suite's report. */
export function documentedOperations(): DocumentedOperation[] {
  const list = (surface: string, ops: readonly OperationInfo[], map: Record<string, unknown>) =>
    ops.map((o) => ({ ...o, surface, implemented: map[o.operationId] !== NOT_BUILT && map[o.operationId] !== undefined }));
  return [...list('openmeter-v1', v1Ops, v1Handlers), ...list('konnect-v3', v3Ops, v3Handlers), ...list('zuplo', zuploOps, zuploHandlers)];
}
