import type { OpenTerminalResult } from '@devmode/protocol';
import type { LocalShellTarget, Terminals } from '../engine/terminal.js';
import type { PodsTarget } from '../engine/podTargets.js';
import { invalidParams } from './errors.js';
import { parsePodsTarget } from './targets.js';
import type { MessageConnection } from 'vscode-jsonrpc';
import { podWaitOf, progressToken, WorkDone } from './progress.js';
import {
  optionalInteger,
  optionalObject,
  optionalString,
  paramsObject,
  requiredString,
  type Params,
} from './validate.js';

function requiredSize(params: Params, field: string): number {
  const value = optionalInteger(params, field, { min: 1, max: 10_000 });
  if (value === undefined) throw invalidParams(field, 'is required');
  return value;
}

function parseTerminalTarget(params: Params): PodsTarget | LocalShellTarget {
  const target = optionalObject(params, 'target');
  if (target?.local !== undefined) {
    const local = optionalObject(target, 'local', 'target.local') ?? {};
    const cwd = optionalString(local, 'cwd', 'target.local.cwd');
    const shell = optionalString(local, 'shell', 'target.local.shell');
    return { local: { ...(cwd !== undefined ? { cwd } : {}), ...(shell !== undefined ? { shell } : {}) } };
  }
  return parsePodsTarget(params);
}

function parseCommand(params: Params): string[] | undefined {
  const command = params.command;
  if (command === undefined || command === null) return undefined;
  if (!Array.isArray(command) || command.length === 0)
    throw invalidParams('command', 'must be a non-empty array of strings');
  command.forEach((arg, index) => {
    if (typeof arg !== 'string') throw invalidParams(`command.${index}`, 'must be a string');
  });
  return command as string[];
}

export async function openTerminal(
  params: unknown,
  terminals: Terminals,
  connection: MessageConnection,
): Promise<OpenTerminalResult> {
  const input = paramsObject(params, false);
  const target = parseTerminalTarget(input);
  const command = parseCommand(input);
  const cols = requiredSize(input, 'cols');
  const rows = requiredSize(input, 'rows');
  const work = new WorkDone(connection, progressToken(input), 'Opening a terminal', false);
  const podWait = podWaitOf(input, work);
  try {
    const { terminalId, runsIn } = await terminals.open({
      target,
      cols,
      rows,
      podWait,
      ...(command !== undefined ? { command } : {}),
    });
    work.done('Terminal open');
    return { terminalId, ...runsIn };
  } catch (error) {
    work.done('The terminal did not open');
    throw error;
  }
}

export function sendTerminalInput(params: unknown, terminals: Terminals): void {
  const input = paramsObject(params, false);
  const terminalId = requiredString(input, 'terminalId');
  const data = optionalString(input, 'data') ?? '';
  terminals.input(terminalId, data);
}

export function resizeTerminal(params: unknown, terminals: Terminals): void {
  const input = paramsObject(params, false);
  terminals.resize(requiredString(input, 'terminalId'), requiredSize(input, 'cols'), requiredSize(input, 'rows'));
}

export function closeTerminal(params: unknown, terminals: Terminals): null {
  terminals.close(requiredString(paramsObject(params, false), 'terminalId'));
  return null;
}
