// Types of bench/netem.mjs for the tests that check the emulator.
export interface NetworkProfile {
  rttMs: number;
  upMbps: number;
  downMbps: number;
}
export interface NetemTraffic {
  connections: number;
  upBytes: number;
  downBytes: number;
  roundTrips: number;
  sequentialRoundTrips: number;
  chain: { connection: number; turn: number; startMs: number; ms: number; upBytes: number; downBytes: number }[];
}
export interface Netem {
  profile: NetworkProfile;
  port: number;
  mark(): unknown;
  since(mark: unknown): NetemTraffic;
  close(): Promise<void>;
}
export const profiles: Record<'lan' | 'cloud' | 'far', NetworkProfile>;
export function startNetem(
  target: { host: string; port: number },
  profile: string | NetworkProfile,
  options?: { port?: number },
): Promise<Netem>;
export function measureNetem(
  profile: string | NetworkProfile,
  options?: { bytes?: number; pings?: number },
): Promise<{ profile: NetworkProfile; upMbps: number; downMbps: number; rttMs: number }>;
export function writeProxiedKubeconfig(
  source: string,
  destination: string,
  target: { host: string; port: number },
  proxyPort: number,
): void;
export function kubeconfigTarget(path: string): { host: string; port: number };
