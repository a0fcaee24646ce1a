/** Every model `truthkit check --model` accepts. A new model is one import and one entry. */
import type { AnyModel } from '../model.js';
import { kvModel } from './kv.js';
import { multiRegisterModel } from './multi-register.js';
import { mutexModel } from './mutex.js';
import { registerModel } from './register.js';
import { znodeModel } from './znode.js';

const MODELS: ReadonlyMap<string, AnyModel> = new Map<string, AnyModel>(
  [kvModel, multiRegisterModel, mutexModel, registerModel, znodeModel].map((m) => [m.name, m]),
);

export function getModel(name: string): AnyModel | undefined {
  return MODELS.get(name);
}

/** Sorted model names, e.g. for `truthkit list`. */
export function modelNames(): string[] {
  return [...MODELS.keys()].sort();
}
