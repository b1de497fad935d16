/**
 * Container logs, kept as a real kubelet keeps them: one file per container instance, each line prefixed with
 * its RFC 3339 timestamp, the stream and whether it is a full line (F) or a fragment (P) of a longer one.
 * Reading applies `kubectl logs` options: tailLines, sinceSeconds/sinceTime, timestamps, limitBytes, follow.
 */
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { LogOptions } from '../contracts.js';

const START_NS = process.hrtime.bigint();
const START_MS = BigInt(Date.now());

/** RFC 3339 with nanoseconds (trailing zeros trimmed, as Go's RFC3339Nano does). */
export function rfc3339Nano(): string {
  const elapsed = process.hrtime.bigint() - START_NS;
  const totalNs = START_MS * 1_000_000n + elapsed;
  const seconds = totalNs / 1_000_000_000n;
  const fraction = (totalNs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d+Z$/, '');
  return fraction ? `${base}.${fraction}Z` : `${base}Z`;
}

interface LogEntry {
  time: string;
  stream: string;
  full: boolean;
  text: string;
}

/** Appends one container instance's output to its log file and tells followers about it. */
export class LogWriter extends EventEmitter<{ entry: [LogEntry]; close: [] }> {
  private fd: number | undefined;

  public constructor(public readonly file: string) {
    super();
    this.fd = openSync(file, 'a');
  }

  public get closed(): boolean {
    return this.fd === undefined;
  }

  public write(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    if (this.fd === undefined) return;
    const text = chunk.toString();
    const parts = text.split('\n');
    const time = rfc3339Nano();
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      if (last && part === '') return;
      const entry: LogEntry = { time, stream, full: !last, text: part };
      if (this.fd !== undefined) writeSync(this.fd, `${time} ${stream} ${entry.full ? 'F' : 'P'} ${part}\n`);
      this.emit('entry', entry);
    });
  }

  public close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    this.emit('close');
  }
}

function parseEntries(file: string): LogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(line);
    if (match === null) continue;
    entries.push({ time: match[1] ?? '', stream: match[2] ?? '', full: match[3] === 'F', text: match[4] ?? '' });
  }
  return entries;
}

/** Joins fragments into lines; the result keeps the first fragment's timestamp and says whether it ended. */
function toLines(entries: LogEntry[]): { time: string; text: string; complete: boolean }[] {
  const lines: { time: string; text: string; complete: boolean }[] = [];
  let open: { time: string; text: string; complete: boolean } | undefined;
  for (const entry of entries) {
    if (open === undefined) open = { time: entry.time, text: '', complete: false };
    open.text += entry.text;
    if (entry.full) {
      open.complete = true;
      lines.push(open);
      open = undefined;
    }
  }
  if (open !== undefined) lines.push(open);
  return lines;
}

function sinceMillis(options: LogOptions): number | undefined {
  if (options.sinceTime !== undefined) return Date.parse(options.sinceTime);
  if (options.sinceSeconds !== undefined) return Date.now() - options.sinceSeconds * 1000;
  return undefined;
}

/** Reads a log file as `kubectl logs` shows it; with `follow`, keeps streaming from `writer` until it closes. */
export function readLog(file: string, options: LogOptions, writer?: LogWriter): Readable {
  const since = sinceMillis(options);
  let budget = options.limitBytes ?? Infinity;
  const out = new Readable({ read() {} });
  const push = (time: string | undefined, text: string): boolean => {
    if (budget <= 0) return false;
    let chunk = Buffer.from(options.timestamps && time !== undefined ? `${time} ${text}` : text);
    if (chunk.length > budget) chunk = chunk.subarray(0, budget);
    budget -= chunk.length;
    out.push(chunk);
    return budget > 0;
  };
  const visible = (time: string): boolean => since === undefined || Date.parse(time) >= since;
  const following = options.follow === true && writer !== undefined && !writer.closed;
  // Read and subscribe in the same tick: the writer writes synchronously, so nothing falls between.
  let lines = toLines(parseEntries(file)).filter((line) => visible(line.time));
  if (options.tailLines !== undefined) lines = options.tailLines <= 0 ? [] : lines.slice(-options.tailLines);
  let openFragment = false;
  let more = true;
  for (const line of lines) {
    more = push(line.time, line.complete ? `${line.text}\n` : line.text);
    openFragment = !line.complete;
    if (!more) break;
  }
  if (!following || !more || writer === undefined) {
    out.push(null);
    return out;
  }
  const onEntry = (entry: LogEntry): void => {
    if (!visible(entry.time)) return;
    const text = entry.full ? `${entry.text}\n` : entry.text;
    // A continuation of a fragment already sent carries no second timestamp.
    const keepGoing = push(openFragment ? undefined : entry.time, text);
    openFragment = !entry.full;
    if (!keepGoing) finish();
  };
  const finish = (): void => {
    writer.off('entry', onEntry);
    writer.off('close', finish);
    out.push(null);
  };
  writer.on('entry', onEntry);
  writer.on('close', finish);
  out.on('close', () => {
    writer.off('entry', onEntry);
    writer.off('close', finish);
  });
  return out;
}
