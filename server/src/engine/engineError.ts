/**
 * Expected failures of the engine, named like the protocol's error codes so that handlers can translate them
 * one to one without the engine importing the wire layer.
 */
export type EngineErrorCode =
  | 'NotFound'
  | 'UnsupportedKind'
  | 'DevConfigInvalid'
  | 'AlreadyInDevMode'
  | 'NotInDevMode'
  | 'PodNotStarted'
  | 'ImagePullFailed'
  | 'MissingTool'
  | 'WorkloadConflict'
  | 'Timeout'
  | 'LocalDirInvalid'
  | 'RequestCancelled'
  | 'UnknownId'
  | 'PortInUse'
  | 'ContainerNotRunning';

export class EngineError extends Error {
  public constructor(
    public readonly code: EngineErrorCode,
    message: string,
    /** Data for the person: `hint`, plus fields specific to the code (`owner`, `reason`, `field`...). */
    public readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
