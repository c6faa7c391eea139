import { accountNamespace, bucketNamespace } from '../http/namespaces.ts';
import type { Request } from 'express';
import { loadSpec } from '../http/loadSpec.ts';
import type { SurfaceDefinition } from '../http/types.ts';
import { renderZuploProblem } from './errors.ts';
import { handlers } from './handlers.ts';
import { operations, type OperationId } from './operations.gen.ts';

/**
 * Each metering bucket is its own OpenMeter organisation (isolated meters, plans, events);
 * account-level resources (key buckets, tunnels, projects) live in one namespace per account.
 */
export function zuploNamespaceOf(req: Request): string {
  const p = req.params as Record<string, string | undefined>;
  if (p.bucketId) return bucketNamespace(p.bucketId);
  if (p.accountName) return accountNamespace(p.accountName);
  return 'zuplo';
}

export function zuploSurface(): SurfaceDefinition<OperationId> {
  return {
    name: 'zuplo',
    prefixes: ['/v1/', '/v3/metering/', '/openapi', '/mcp'],
    basePath: '',
    spec: loadSpec('zuplo'),
    operations,
    handlers,
    renderProblem: renderZuploProblem,
    timeFormat: (op) => (op.startsWith('Metering') ? 'go' : 'js'),
    namespaceOf: zuploNamespaceOf,
  };
}
