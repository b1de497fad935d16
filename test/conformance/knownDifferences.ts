/**
 * Scenarios whose answers from the sandbox are known to differ from a real API server's, each with the reason.
 * README.md's "Sandbox limits" explains each one to users. A scenario listed here that answers identically
 * fails the suite, so the list never outlives the difference.
 */
export const KNOWN_DIFFERENCES: Record<string, string> = {};
