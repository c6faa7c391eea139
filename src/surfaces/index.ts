import type { SurfaceDefinition } from './http/types.ts';
import { controlSurface } from './control/surface.ts';
import { konnectV3Surface } from './konnect-v3/surface.ts';
import { openmeterV1Surface } from './openmeter-v1/surface.ts';
import { zuploSurface } from './zuplo/surface.ts';

/** Every wire contract the emulator serves, in routing order. */
export function loadSurfaces(): SurfaceDefinition[] {
  return [openmeterV1Surface(), konnectV3Surface(), zuploSurface(), controlSurface()] as SurfaceDefinition[];
}
