import type { DevModeErrorCodes, DevModeErrorData } from '@devmode/protocol';

/** The name of a protocol error code, as `DevModeErrorCodes` spells it (`NotFound`, `MissingTool`...). */
export type ErrorCodeName = Exclude<keyof typeof DevModeErrorCodes, 'prototype'>;

/**
 * An expected failure that knows how a client should see it: the name of its protocol error code and data a
 * person can act on. Every layer (kube/, engine/) throws these; the connection translates them once, by code,
 * so no handler needs to know which layer failed. Anything else that escapes a handler is an InternalError.
 */
export class NamedError extends Error {
  public constructor(
    public readonly code: ErrorCodeName,
    message: string,
    /** Data for the person: `hint`, plus fields specific to the code (`owner`, `reason`, `field`...). */
    public readonly data: DevModeErrorData = {},
  ) {
    super(message);
    this.name = 'NamedError';
  }

  /** The message a client sees; a subclass may phrase it for the person rather than for the log. */
  public get clientMessage(): string {
    return this.message;
  }
}
