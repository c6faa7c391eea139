import { DEFAULT_NAMESPACE } from '../http/namespaces.ts';
import { loadSpec } from '../http/loadSpec.ts';
import type { SurfaceDefinition } from '../http/types.ts';
import { renderV1Problem } from './errors.ts';
import { handlers } from './handlers.ts';
import { operations, type OperationId } from './operations.gen.ts';

/** The default OpenMeter organisation. Konnect shares it, so an object is the same on both. */

export function openmeterV1Surface(): SurfaceDefinition<OperationId> {
  return {
    name: 'openmeter-v1',
    prefixes: ['/api/v1/', '/api/v2/'],
    basePath: '',
    spec: loadSpec('openmeter-v1'),
    operations,
    handlers,
    renderProblem: renderV1Problem,
    timeFormat: () => 'go',
    namespaceOf: () => DEFAULT_NAMESPACE,
  };
}
