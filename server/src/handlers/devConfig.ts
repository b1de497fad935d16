import type { GetDevConfigSchemaResult, GetDevConfigResult } from '@devmode/protocol';
import { isAbsolute } from 'node:path';
import { devConfigSchema } from '../engine/devConfigSchema.js';
import type { DevModeEngine } from '../engine/devMode.js';
import { invalidParams } from './errors.js';
import { workloadTarget } from './target.js';
import { paramsObject, requiredString } from './validate.js';

export async function getDevConfig(params: unknown, engine: DevModeEngine): Promise<GetDevConfigResult> {
  const p = paramsObject(params, false);
  const target = workloadTarget(p);
  const localDir = requiredString(p, 'localDir');
  if (!isAbsolute(localDir)) throw invalidParams('localDir', 'must be an absolute path');
  return engine.devConfig(target, localDir);
}

export function devConfigSchemaResult(params: unknown): GetDevConfigSchemaResult {
  paramsObject(params);
  return { schema: devConfigSchema };
}
