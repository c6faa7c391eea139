import { accountNamespace, bucketNamespace, PLATFORM_NAMESPACE } from '../http/namespaces.ts';
import type { Request } from 'express';
import type { EmulatorPort } from '../http/emulatorPort.ts';
import { loadSpec } from '../http/loadSpec.ts';
import type { SurfaceDefinition } from '../http/types.ts';
import { renderZuploProblem } from './errors.ts';
import { handlers } from './handlers.ts';
import { operations, type OperationId } from './operations.gen.ts';

/** The gateway service's developer-portal routes (the Zudoku monetization plugin). */
export const PORTAL_PREFIX = '/v3/zudoku-metering/';

/**
 * The metering bucket behind a portal's deployment name: a deployment of this emulator uses its
 * project's bucket for its environment type; any other name is taken as a bucket id itself, so a
 * portal can point at a bucket set up through `/v3/metering/{bucketId}` without a deploy
 * (docs/decisions/0024). A read of the platform namespace, which never creates it.
 */
export function portalBucketOf(req: Request, deploymentName: string): string {
  const emulator = req.app.locals.emulator as EmulatorPort;
  return emulator.read(PLATFORM_NAMESPACE, (tx) => emulator.services.platform.bucketOfDeployment(tx, deploymentName)) ?? deploymentName;
}

/**
 * Each metering bucket is its own OpenMeter organisation (isolated meters, plans, events);
 * account-level resources (key buckets, tunnels, projects) live in one namespace per account.
 */
export function zuploNamespaceOf(req: Request): string {
  const p = req.params as Record<string, string | undefined>;
  if (p.bucketId) return bucketNamespace(p.bucketId);
  if (p.deploymentName && req.path.startsWith(PORTAL_PREFIX)) return bucketNamespace(portalBucketOf(req, p.deploymentName));
  if (p.accountName) return accountNamespace(p.accountName);
  return 'zuplo';
}

export function zuploSurface(): SurfaceDefinition<OperationId> {
  return {
    name: 'zuplo',
    prefixes: ['/v1/', '/v3/metering/', PORTAL_PREFIX, '/openapi', '/mcp'],
    basePath: '',
    spec: loadSpec('zuplo'),
    operations,
    handlers,
    renderProblem: renderZuploProblem,
    // the portal's subscriptions and plans are OpenMeter's objects, written as OpenMeter writes them
    timeFormat: (op) => (op.startsWith('Metering') || op.startsWith('ZudokuMetering') ? 'go' : 'js'),
    namespaceOf: zuploNamespaceOf,
  };
}
