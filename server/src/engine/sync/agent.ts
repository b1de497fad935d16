/**
 * The local end of the sync channel: starts nothing itself, but speaks the agent's line protocol over a process
 * that the caller started (an exec in the dev container, or `sh` on this machine in tests). One request is in flight
 * at a time; the channel stays open between batches, so a change costs a round trip, not an exec handshake.
 */
import { once } from 'node:events';
import type { RemoteProcess } from '../../kube/exec.js';
import { CODECS, type Codec } from './agentScript.js';
import { ByteQueue } from './byteQueue.js';
import { canCompress, sendCompressed } from './compression.js';
import { relFromBytes, type RelPath } from './paths.js';
import { readTar, type ReadEntry } from './tarReader.js';
import { tarStream, type EntryType, type TarEntry, type WrittenEntry } from './tarWriter.js';
import { EngineError } from '../engineError.js';

export type SyncProcess = Pick<RemoteProcess, 'stdin' | 'stdout' | 'stderr' | 'exit' | 'close'>;

/** Whether archives are compressed: always when the container can undo it, never, or `auto` (see `codec`). */
export type Compression = boolean | 'auto';

/** Below this round trip, `auto` sends plain tar. */
export const COMPRESS_MIN_RTT_MS = 10;

/** What the container holds at a path, as `find -printf` reports it. */
export interface RemoteEntry {
  type: EntryType | 'other';
  size: number;
  mtimeNs: bigint;
  mode: number;
  linkTarget?: RelPath;
}

export interface AgentReply {
  exitCode: number;
  /** Error output of the command (tar, rm), or `unsafe <index>` lines for paths the agent refused. */
  message: string;
}

/** The agent could not start: `reason` is `tar` (tar is missing), `workdir`, `protocol` or `closed`. */
export class AgentStartError extends EngineError {
  public constructor(
    public readonly reason: string,
    message: string,
  ) {
    super(
      reason === 'tar' ? 'MissingTool' : 'SyncDisconnected',
      message,
      reason === 'tar'
        ? { tool: 'tar', hint: 'Use a dev image that has tar (busybox or coreutils images do).' }
        : { reason, hint: 'Check that the dev container runs a POSIX shell and that its workDir exists.' },
    );
    this.name = 'AgentStartError';
  }
}

/** A path to put in place, and the version the container must still hold there for that (see `extract`). */
export interface PlacedPath {
  path: RelPath;
  expect?: RemoteEntry | null;
}

/**
 * How the agent reads an expectation: `-` for none, `0` for no entry, `f size seconds.nanoseconds` for a file. Only
 * files and absence are checked; anything else is placed unchecked, as before.
 */
export function expectationLine(expect: RemoteEntry | null | undefined): string {
  if (expect === null) return '0';
  if (expect?.type !== 'file' || expect.mtimeNs < 0n) return '-';
  const seconds = expect.mtimeNs / 1_000_000_000n;
  const nanoseconds = (expect.mtimeNs % 1_000_000_000n).toString().padStart(9, '0');
  return `f ${expect.size} ${seconds}.${nanoseconds}`;
}

const SAFE_BYTE = /[A-Za-z0-9._/+-]/;
/** The most paths sent in one command, far below any exec argument limit. */
const PATHS_PER_COMMAND = 500;
/** Tar data is written to the channel in pieces of about this size. */
const WRITE_BATCH = 256 * 1024;

/** Encodes a path as one line of the agent protocol: bytes outside a safe set become `\0ooo` escapes. */
export function encodePath(rel: RelPath): string {
  let line = '';
  for (let i = 0; i < rel.length; i++) {
    const char = rel[i]!;
    line += SAFE_BYTE.test(char) ? char : `\\0${rel.charCodeAt(i).toString(8).padStart(3, '0')}`;
  }
  return line;
}

/** Parses a timestamp of the form `seconds.fraction` into nanoseconds. */
export function parseTimestamp(text: string): bigint {
  const [seconds = '0', fraction = ''] = text.split('.');
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.slice(0, 9).padEnd(9, '0'));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

export class SyncAgent {
  /** The hashing tool found in the container, if any. */
  public hashTool: string | undefined;
  /** Whether the container's `find` supports `-printf`, which listing needs. */
  public canList = false;
  /** The best compression the container can undo, if any. */
  public decompressor: Codec | undefined;
  /**
   * The shortest round trip of the channel measured so far: a command that does nothing goes out with every
   * listing, just before it, so measuring costs no round trip of its own.
   */
  public rttMs: number | undefined;
  private compress: Compression = 'auto';
  private compressMinRttMs = COMPRESS_MIN_RTT_MS;
  /** Resolves when the process has ended, for whatever reason. */
  public readonly ended: Promise<void>;
  public stderrTail = '';
  private readonly queue: ByteQueue;
  private readonly dirBytes: Buffer;
  private chain: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private dead = false;

  private constructor(
    private readonly process: SyncProcess,
    workDir: string,
    onStderr: (text: string) => void,
  ) {
    this.dirBytes = Buffer.from(workDir, 'utf8');
    this.queue = new ByteQueue(process.stdout);
    process.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-4096);
      onStderr(text);
    });
    this.ended = process.exit.then(
      () => undefined,
      () => undefined,
    );
    void this.ended.then(() => {
      this.dead = true;
      this.queue.end();
    });
    process.stdin.on('error', () => undefined);
  }

  /** Waits for the agent's `READY` line. */
  public static async start(
    process: SyncProcess,
    workDir: string,
    options: {
      timeoutMs?: number;
      onStderr?: (text: string) => void;
      compress?: Compression;
      /** The round trip from which `auto` compresses (`COMPRESS_MIN_RTT_MS`). */
      compressMinRttMs?: number;
    } = {},
  ): Promise<SyncAgent> {
    const agent = new SyncAgent(process, workDir, options.onStderr ?? (() => undefined));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AgentStartError('protocol', 'the sync agent did not start in time')),
        options.timeoutMs ?? 30_000,
      );
    });
    try {
      const line = await Promise.race([agent.queue.readLine(), timeout]).catch((error: unknown) => {
        if (error instanceof AgentStartError) throw error;
        const detail = agent.stderrTail.trim();
        throw new AgentStartError('closed', `the sync agent ended before it started${detail ? `: ${detail}` : ''}`);
      });
      const fields = line.split(' ');
      if (fields[0] === 'FATAL') {
        const reason = fields[1] ?? 'protocol';
        throw new AgentStartError(
          reason,
          reason === 'tar'
            ? 'the container has no tar, which file sync needs'
            : reason === 'workdir'
              ? `the work directory ${workDir} cannot be created in the container`
              : `the sync agent failed: ${line}`,
        );
      }
      if (fields[0] !== 'READY') throw new AgentStartError('protocol', `unexpected greeting from the sync agent`);
      agent.hashTool = fields[2] === '-' ? undefined : fields[2];
      agent.canList = fields[3] === '1';
      const found = (fields[4] ?? '-').split(',');
      agent.decompressor = CODECS.find((codec) => found.includes(codec) && canCompress(codec));
      agent.compress = options.compress ?? 'auto';
      agent.compressMinRttMs = options.compressMinRttMs ?? COMPRESS_MIN_RTT_MS;
      return agent;
    } catch (error) {
      process.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The compression archives are sent with, or undefined for plain tar: the container's best, unless compression
   * is off, or (`auto`) the round trip is under `COMPRESS_MIN_RTT_MS`: a cluster that near is on a network whose
   * bandwidth outruns compression, which would only cost CPU on both sides.
   */
  public get codec(): Codec | undefined {
    if (this.compress === false) return undefined;
    if (this.compress === 'auto' && (this.rttMs ?? 0) < this.compressMinRttMs) return undefined;
    return this.decompressor;
  }

  /** Measures the channel's round trip with a command that does nothing. */
  public ping(): Promise<number> {
    return this.exclusive(async () => {
      const id = this.nextId++;
      const started = performance.now();
      await this.write(Buffer.from(`S ${id} 0\n`, 'latin1'));
      return this.pinged(id, started);
    });
  }

  private async pinged(id: number, started: number): Promise<number> {
    await this.readRecords(true);
    await this.readReply(id);
    const rtt = performance.now() - started;
    this.rttMs = Math.min(this.rttMs ?? rtt, rtt);
    return rtt;
  }

  public get alive(): boolean {
    return !this.dead;
  }

  /**
   * Sends the entries as one tar archive and waits until the container has written them. With `place`, the archive
   * is extracted aside and each listed path renamed into place, so that a process reading it in the container sees
   * the old or the new file, never a partial one; the listed paths must be all the entries. A path placed with an
   * expectation is put in place only if the container still holds that version (null: nothing); otherwise the
   * reply has a `changed <index>` line and the container's version stays. With `codec` (one of the container's) the
   * archive is compressed; `wireBytes` is what crossed the channel for it.
   */
  public extract(
    entries: TarEntry[],
    onBytes?: (bytes: number) => void,
    place?: PlacedPath[],
    codec?: Codec,
  ): Promise<{ reply: AgentReply; written: WrittenEntry[]; wireBytes: number }> {
    return this.exclusive(async () => {
      const id = this.nextId++;
      const format = codec ?? '-';
      const command =
        place === undefined
          ? `X ${id} ${format}\n`
          : `P ${id} ${place.length} ${format}\n${place.map(({ path, expect }) => `${encodePath(path)}\n${expectationLine(expect)}\n`).join('')}`;
      await this.write(Buffer.from(command, 'latin1'));
      const written: WrittenEntry[] = [];
      if (codec !== undefined) {
        const counted = function* (source: Iterable<Buffer>): Generator<Buffer> {
          for (const buffer of source) {
            onBytes?.(buffer.length);
            yield buffer;
          }
        };
        const wireBytes = await sendCompressed(counted(tarStream(entries, written)), codec, (buffer) =>
          this.write(buffer),
        );
        return { reply: await this.readReply(id), written, wireBytes };
      }
      let wireBytes = 0;
      // Small pieces are gathered into larger writes: one pipe write per header would dominate the cost.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        const buffer = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        wireBytes += buffer.length;
        await this.write(buffer);
        onBytes?.(buffer.length);
      };
      for (const buffer of tarStream(entries, written)) {
        pending.push(buffer);
        pendingBytes += buffer.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
      }
      if (pendingBytes > 0) await flush();
      return { reply: await this.readReply(id), written, wireBytes };
    });
  }

  /**
   * Deletes the paths. A path with an expectation (see `extract`) is deleted only if the container still holds that
   * version; otherwise the reply has a `changed <index>` line and the container's version stays.
   */
  public async remove(paths: RelPath[], expect?: Map<RelPath, RemoteEntry | null>): Promise<AgentReply> {
    return this.merge(
      await this.eachChunk(paths, (chunk) =>
        this.simple(
          'D',
          chunk.flatMap((path) => [encodePath(path), expectationLine(expect?.get(path))]),
          chunk.length,
        ),
      ),
    );
  }

  public async rename(pairs: [RelPath, RelPath][]): Promise<AgentReply> {
    return this.merge(
      await this.eachChunk(pairs, (chunk) =>
        this.simple(
          'R',
          chunk.flatMap(([from, to]) => [encodePath(from), encodePath(to)]),
          chunk.length,
        ),
      ),
    );
  }

  /** Whether `auto` compression still depends on the round trip: the container can decompress. */
  public get rttDecides(): boolean {
    return this.compress === 'auto' && this.decompressor !== undefined;
  }

  /**
   * Lists the whole work directory except `prune`; undefined when the container's `find` cannot. `onPinged` is
   * called once the round trip measured with the listing is known, before the listing itself has arrived.
   */
  public list(prune: RelPath[], onPinged?: () => void): Promise<Map<RelPath, RemoteEntry> | undefined> {
    return this.exclusive(async () => {
      if (!this.canList) return undefined;
      const ping = this.nextId++;
      const id = this.nextId++;
      const started = performance.now();
      await this.write(
        Buffer.from(
          `S ${ping} 0\nL ${id} ${prune.length}\n${prune.map((p) => `${encodePath(p)}\n`).join('')}`,
          'latin1',
        ),
      );
      await this.pinged(ping, started);
      onPinged?.();
      const entries = await this.readRecords(false);
      const reply = await this.readReply(id);
      return reply.exitCode === 127 ? undefined : entries;
    });
  }

  /** What the container holds at each of `paths`; absent paths are missing from the result. */
  public async stat(paths: RelPath[]): Promise<Map<RelPath, RemoteEntry>> {
    const result = new Map<RelPath, RemoteEntry>();
    for (const chunk of chunks(paths, PATHS_PER_COMMAND)) {
      const part = await this.exclusive(async () => {
        const id = this.nextId++;
        await this.write(
          Buffer.from(`S ${id} ${chunk.length}\n${chunk.map((p) => `${encodePath(p)}\n`).join('')}`, 'latin1'),
        );
        const entries = await this.readRecords(true);
        await this.readReply(id);
        return entries;
      });
      for (const [path, entry] of part) result.set(path, entry);
    }
    return result;
  }

  /** The content hash of each file (hex, from `hashTool`); undefined where it could not be hashed. */
  public async hash(paths: RelPath[]): Promise<Map<RelPath, string | undefined>> {
    const result = new Map<RelPath, string | undefined>();
    for (const chunk of chunks(paths, PATHS_PER_COMMAND)) {
      await this.exclusive(async () => {
        const id = this.nextId++;
        await this.write(
          Buffer.from(`H ${id} ${chunk.length}\n${chunk.map((p) => `${encodePath(p)}\n`).join('')}`, 'latin1'),
        );
        for (const path of chunk) {
          const line = await this.queue.readLine();
          result.set(path, /^[0-9a-f]+$/.test(line) ? line : undefined);
        }
        await this.readReply(id);
      });
    }
    return result;
  }

  /** Reads the given files from the container as a tar archive, handing each entry to `onEntry`. */
  public async pack(paths: RelPath[], onEntry: (entry: ReadEntry) => void | Promise<void>): Promise<void> {
    for (const chunk of chunks(paths, PATHS_PER_COMMAND)) {
      await this.exclusive(async () => {
        const id = this.nextId++;
        await this.write(
          Buffer.from(`C ${id} ${chunk.length}\n${chunk.map((p) => `${encodePath(p)}\n`).join('')}`, 'latin1'),
        );
        let failure: Error | undefined;
        try {
          await readTar(this.queue, onEntry);
        } catch (error) {
          failure = error as Error;
        }
        // Whatever happened inside the archive, the rest of it is zeros up to the reply.
        await this.queue.skipWhile(0);
        await this.readReply(id);
        if (failure !== undefined) throw failure;
      });
    }
  }

  /** Asks the agent to exit, then closes the channel. */
  public close(): void {
    if (!this.dead) this.process.stdin.write('Q\n');
    this.process.stdin.end();
    this.process.close();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async eachChunk<T>(items: readonly T[], run: (chunk: T[]) => Promise<AgentReply>): Promise<AgentReply[]> {
    const replies: AgentReply[] = [];
    let offset = 0;
    for (const chunk of chunks(items, PATHS_PER_COMMAND)) {
      const reply = await run(chunk);
      // Refusals name an index within the chunk; make it an index within the whole request.
      reply.message = reply.message.replace(
        /^(unsafe|failed|changed) (\d+)/gm,
        (_, word: string, index: string) => `${word} ${Number(index) + offset}`,
      );
      replies.push(reply);
      offset += chunk.length;
    }
    return replies;
  }

  private merge(replies: AgentReply[]): AgentReply {
    return {
      exitCode: replies.reduce((code, reply) => code || reply.exitCode, 0),
      message: replies.map((reply) => reply.message).join(''),
    };
  }

  private simple(command: string, lines: string[], count: number): Promise<AgentReply> {
    return this.exclusive(async () => {
      const id = this.nextId++;
      await this.write(
        Buffer.from(`${command} ${id} ${count}\n${lines.map((line) => `${line}\n`).join('')}`, 'latin1'),
      );
      return this.readReply(id);
    });
  }

  private async write(buffer: Buffer): Promise<void> {
    if (this.dead) throw new Error('the sync channel closed');
    if (!this.process.stdin.write(buffer)) {
      await Promise.race([once(this.process.stdin, 'drain'), this.ended]);
      if (this.dead) throw new Error('the sync channel closed');
    }
  }

  private async readReply(id: number): Promise<AgentReply> {
    const line = await this.queue.readLine();
    const match = /^DONE (\d+) (\d+) (\d+)$/.exec(line);
    if (match === null || Number(match[1]) !== id) {
      throw new Error(`the sync agent answered out of turn: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const message = (await this.queue.readExact(Number(match[3]))).toString('utf8');
    return { exitCode: Number(match[2]), message };
  }

  private async readRecords(absolute: boolean): Promise<Map<RelPath, RemoteEntry>> {
    const entries = new Map<RelPath, RemoteEntry>();
    const prefix = Buffer.concat([this.dirBytes, Buffer.from('/')]);
    for (;;) {
      const meta = await this.queue.readUntil(0);
      const link = await this.queue.readUntil(0);
      if (meta.length === 3 && meta.toString('latin1') === 'END') return entries;
      let spaces = 0;
      let index = 0;
      while (spaces < 4 && index < meta.length) if (meta[index++] === 0x20) spaces++;
      const [kind, size, mtime, mode] = meta
        .subarray(0, index - 1)
        .toString('latin1')
        .split(' ');
      let pathBytes = meta.subarray(index);
      if (absolute) {
        if (!pathBytes.subarray(0, prefix.length).equals(prefix)) continue;
        pathBytes = pathBytes.subarray(prefix.length);
      }
      if (pathBytes.length === 0) continue;
      const type: RemoteEntry['type'] =
        kind === 'f' ? 'file' : kind === 'd' ? 'dir' : kind === 'l' ? 'symlink' : 'other';
      const entry: RemoteEntry = {
        type,
        size: Number(size),
        mtimeNs: parseTimestamp(mtime ?? '0'),
        mode: Number.parseInt(mode ?? '0', 8) & 0o7777,
      };
      if (type === 'symlink') entry.linkTarget = relFromBytes(link);
      entries.set(relFromBytes(pathBytes), entry);
    }
  }
}
