import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CoalescingWriter } from './coalescingWriter.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A sink that takes `delayMs` per write and records what it got. */
function slowSink(delayMs: number): { sink: Writable; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write: (chunk: Buffer, _encoding, callback) => {
      writes.push(Buffer.from(chunk));
      setTimeout(callback, delayMs);
    },
  });
  return { sink, writes };
}

describe('CoalescingWriter', () => {
  it('keeps every byte of views whose buffer is reused at once, in order, in fewer writes', async () => {
    const { sink, writes } = slowSink(0);
    let paused = 0;
    let resumed = 0;
    const writer = new CoalescingWriter(sink, { pause: () => paused++, resume: () => resumed++ });
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const reused = Buffer.alloc(16 * 1024);
    for (let offset = 0; offset < data.length; offset += reused.length) {
      const length = data.copy(reused, 0, offset);
      writer.write(reused.subarray(0, length));
      reused.fill(0xee);
    }
    writer.flush();
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(sha256(Buffer.concat(writes))).toBe(sha256(data));
    expect(writes.length).toBeLessThan(Math.ceil(data.length / reused.length) / 4);
    expect(resumed).toBe(paused);
  });

  it('pauses its source past the backlog and resumes it once the sink caught up', async () => {
    const { sink, writes } = slowSink(5);
    const events: string[] = [];
    const writer = new CoalescingWriter(sink, {
      pause: () => events.push('pause'),
      resume: () => events.push('resume'),
      backlogBytes: 256 * 1024,
    });
    const data = randomBytes(1024 * 1024);
    writer.write(data);
    expect(events).toEqual(['pause']);
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(events).toEqual(['pause', 'resume']);
    expect(sha256(Buffer.concat(writes))).toBe(sha256(data));
  });

  it('writes a short piece on its own within the same turn of the event loop', async () => {
    const { sink, writes } = slowSink(0);
    const writer = new CoalescingWriter(sink, { pause: () => undefined, resume: () => undefined });
    writer.write(Buffer.from('hello'));
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.map(String)).toEqual(['hello']);
  });
});
