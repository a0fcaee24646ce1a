/** Every system truthkit can run, by name. */
import type { SystemDefinition } from '../core/system.js';
import { echoSystem } from './reference/echo.js';
import { kvAsyncSystem } from './reference/kv-async.js';
import { kvSingleSystem } from './reference/kv-single.js';
import { nakamotoSystem } from './chain/nakamoto.js';

const SYSTEMS: readonly SystemDefinition[] = [
  echoSystem,
  kvSingleSystem,
  kvAsyncSystem,
  nakamotoSystem,
];

export function systems(): readonly SystemDefinition[] {
  return SYSTEMS;
}

export function getSystem(name: string): SystemDefinition | undefined {
  return SYSTEMS.find((s) => s.name === name);
}
