import { DEFAULT_NAMESPACE } from '../http/namespaces.ts';
import { loadSpec } from '../http/loadSpec.ts';
import type { SurfaceDefinition } from '../http/types.ts';
import { renderV3Problem } from './errors.ts';
import { handlers } from './handlers.ts';
import { operations, type OperationId } from './operations.gen.ts';

export function konnectV3Surface(): SurfaceDefinition<OperationId> {
  return {
    name: 'konnect-v3',
    // /api/v3/openmeter is rewritten to /v3/openmeter before routing (see runtime/app.ts)
    prefixes: ['/v3/openmeter/'],
    basePath: '/v3',
    spec: loadSpec('konnect-v3'),
    operations,
    handlers,
    renderProblem: renderV3Problem,
    timeFormat: () => 'go',
    namespaceOf: () => DEFAULT_NAMESPACE,
  };
}
