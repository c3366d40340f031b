// Blueprint `resources` → the sandbox's limits. Pure; sizes in the blueprint
// are `512m`-style strings or byte counts.
import { parseSize, type BlueprintSpec } from '../blueprint/schema.js';
import { DEFAULT_RESOURCES, type SandboxResources } from './spec.js';

const MiB = 1024 * 1024;

export function resourcesFromBlueprint(r: BlueprintSpec['resources']): SandboxResources {
  const memoryMb = Math.max(1, Math.floor(parseSize(r.memory) / MiB));
  const tmpMb = Math.max(1, Math.floor(parseSize(r.tmp_size) / MiB));
  return {
    ...DEFAULT_RESOURCES,
    cpus: r.cpus,
    memoryMb,
    pids: r.pids,
    tmpMb,
    // $HOME holds the agent's state (sqlite, caches); tmpfs counts against memory, keep it bounded.
    homeMb: Math.min(DEFAULT_RESOURCES.homeMb, Math.max(16, Math.floor(memoryMb / 8))),
  };
}
