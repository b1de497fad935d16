/**
 * A DevMode session as a whole: the workload rewrite (devMode.ts), then the dev config's port-forwards and the
 * file sync into the dev container, stopped together. Start either brings all of them up or leaves the workload
 * as it was: if the forwards or the first sync cannot start, DevMode is undone before the error is returned.
 */
import type { Clusters } from './clusters.js';
import {
  sameWorkload,
  type DevModeEngine,
  type DevModeReporter,
  type DevSession,
  type StartRequest,
  type WorkloadTarget,
} from './devMode.js';
import { execInPod } from '../kube/exec.js';
import type { KubeObject } from '../kube/objects.js';
import { isPodStarted } from './podTargets.js';
import type { PortForwards } from './portForward.js';
import { sessionLabel } from './objects.js';
import { SyncSession, type SyncSnapshot } from './sync/session.js';
import { silentUserEvents, type UserEvents } from './userEvents.js';
import type { TransferCounts } from './sync/replica.js';
import type { SyncSessions } from './sync/sessions.js';
import { EngineError } from './engineError.js';

type PortForwardInfo = Awaited<ReturnType<PortForwards['startForSession']>>[number];

export interface StartedDevSession {
  session: DevSession;
  portForwards: PortForwardInfo[];
  sync?: SyncSnapshot & { sessionId: string };
}

export class DevSessions {
  public constructor(
    private readonly engine: DevModeEngine,
    private readonly clusters: Clusters,
    private readonly forwards: PortForwards,
    private readonly syncs: SyncSessions,
    private readonly log: (line: string) => void,
    private readonly events: UserEvents = silentUserEvents,
  ) {}

  public async start(
    request: StartRequest,
    reporter: DevModeReporter,
    signal: AbortSignal,
  ): Promise<StartedDevSession> {
    const session = await this.engine.start(request, reporter, signal);
    try {
      const portForwards = await this.startForwards(session, reporter);
      const sync = await this.startSync(session, reporter);
      return { session, portForwards, ...(sync !== undefined ? { sync } : {}) };
    } catch (error) {
      reporter.progress(
        'restoreWorkload',
        `DevMode could not finish starting (${(error as Error).message}); restoring the workload`,
      );
      await this.endLocalParts(session.sessionId);
      await this.engine.stop({ sessionId: session.sessionId }, reporter).catch((stopError: unknown) => {
        this.log(`restoring after a failed start failed: ${(stopError as Error).message}`);
      });
      throw error;
    }
  }

  public async stop(
    selector: { sessionId: string } | { target: WorkloadTarget },
    reporter: DevModeReporter,
  ): Promise<WorkloadTarget> {
    const local =
      'sessionId' in selector
        ? this.engine.session(selector.sessionId)
        : this.engine.localSessions().find((session) => sameWorkload(session.target, selector.target));
    // The sync is stopped first so that nothing writes into a container that is going away.
    if (local !== undefined) await this.endLocalParts(local.sessionId);
    return this.engine.stop(selector, reporter);
  }

  public async reset(target: WorkloadTarget, reporter: DevModeReporter): Promise<{ endedSessions: string[] }> {
    for (const session of this.engine.localSessions()) {
      if (sameWorkload(session.target, target)) await this.endLocalParts(session.sessionId);
    }
    return this.engine.reset(target, reporter);
  }

  /** Ends every session's local parts (shutdown); DevMode itself stays on in the cluster. */
  public async dispose(): Promise<void> {
    this.forwards.dispose();
    await this.syncs.stopAll();
    this.engine.dispose();
  }

  private async endLocalParts(sessionId: string): Promise<void> {
    this.forwards.stopSession(sessionId);
    const sync = this.syncs.get(sessionId);
    this.syncs.remove(sessionId);
    await sync?.stop();
  }

  private async startForwards(session: DevSession, reporter: DevModeReporter): Promise<PortForwardInfo[]> {
    const specs = session.config.portForward;
    if (specs.length === 0) return [];
    reporter.progress(
      'portForward',
      `Forwarding ${specs.map((spec) => `127.0.0.1:${spec.local} -> ${spec.remote}`).join(', ')}`,
      80,
    );
    const forwards = await this.forwards.startForSession(session.sessionId, session.devWorkload, specs);
    for (const forward of forwards) {
      const moved =
        forward.localPort !== specs.find((spec) => spec.remote === forward.remotePort)?.local
          ? ' (the configured port was taken)'
          : '';
      reporter.progress(
        'portForward',
        `Port-forward ${forward.address}:${forward.localPort} -> ${forward.remotePort} is active${moved}`,
      );
    }
    return forwards;
  }

  private async startSync(
    session: DevSession,
    reporter: DevModeReporter,
  ): Promise<(SyncSnapshot & { sessionId: string }) | undefined> {
    reporter.progress(
      'sync',
      `Synchronizing ${session.localDir} -> ${session.config.workDir} (${session.config.sync.mode})`,
      85,
    );
    const sync = new SyncSession({
      localDir: session.localDir,
      workDir: session.config.workDir,
      config: session.config.sync,
      openRemote: async (command) => {
        const cluster = await this.clusters.client(session.devWorkload.context);
        const pod = await this.devPod(session);
        return execInPod(cluster, { namespace: session.target.namespace, pod, container: session.container }, command, {
          stdin: true,
        });
      },
      onProgress: (progress) => {
        if (progress.operation !== 'initial') return;
        reporter.progress(
          'sync',
          `${progress.files}/${progress.totalFiles} files, ${formatBytes(progress.bytes)} of ${formatBytes(progress.totalBytes)}`,
        );
      },
      log: this.log,
      events: this.events,
    });
    const sent = await sync.start();
    this.syncs.add(session.sessionId, sync);
    reporter.progress('sync', `File sync started (${describeCounts(sent)})`, 95);
    return { sessionId: session.sessionId, ...sync.status() };
  }

  /** The session's current dev pod: it changes when the pod is replaced, and the sync reconnects to the new one. */
  private async devPod(session: DevSession): Promise<string> {
    const cluster = await this.clusters.client(session.devWorkload.context);
    const pods = await cluster.objects.list('v1', 'Pod', session.target.namespace);
    const mine = pods
      .filter((pod) => sessionOf(pod) === session.sessionId && isPodStarted(pod))
      .sort((a, b) =>
        String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')),
      );
    const pod = mine[0];
    if (pod === undefined)
      throw new EngineError('ContainerNotRunning', `No running dev pod of session ${session.sessionId}`, {
        retryable: true,
      });
    return pod.metadata.name;
  }
}

function sessionOf(pod: KubeObject): string | undefined {
  return pod.metadata.labels?.[sessionLabel] ?? pod.metadata.annotations?.[sessionLabel];
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function describeCounts(counts: TransferCounts): string {
  if (counts.filesTransferred === 0 && counts.filesDeleted === 0) return 'the container was already in step';
  return `${counts.filesTransferred} file(s) sent, ${counts.filesDeleted} removed`;
}
