import { DEFAULT_NAMESPACE } from '../http/namespaces.ts';
import { loadSpec } from '../http/loadSpec.ts';
import type { SurfaceDefinition } from '../http/types.ts';
import { renderControlProblem } from './errors.ts';
import { handlers } from './handlers.ts';
import { operations, type OperationId } from './operations.gen.ts';

export function controlSurface(): SurfaceDefinition<OperationId> {
  return {
    name: 'control',
    prefixes: ['/_emulator/'],
    basePath: '',
    spec: loadSpec('emulator-control'),
    operations,
    handlers,
    renderProblem: renderControlProblem,
    timeFormat: () => 'js',
    namespaceOf: () => DEFAULT_NAMESPACE,
  };
}
