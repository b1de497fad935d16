/** An API failure, reduced to what the engine and the handlers need to explain it. */
export class KubeError extends Error {
  public constructor(
    /** HTTP status; 0 when the cluster was not reached at all. */
    public readonly status: number,
    /** The `reason` of the API server's Status (`NotFound`, `Forbidden`, `Conflict`...), or a connection error code. */
    public readonly reason: string,
    message: string,
    /** What was attempted, for RBAC explanations: the verb and the resource. */
    public readonly attempted?: { verb: string; resource: string; namespace?: string },
  ) {
    super(message);
    this.name = 'KubeError';
  }
}
