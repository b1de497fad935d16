import { describe, expect, it, vi } from 'vitest';
import { TextOutput } from './textOutput.js';

function collector(): { sent: string[]; output: TextOutput } {
  const sent: string[] = [];
  return {
    sent,
    output: new TextOutput((text) => void sent.push(text), { minIntervalMs: 5, burst: 2, highWaterMark: 1000 }),
  };
}

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('TextOutput', () => {
  it('never splits a multi-byte character across messages', async () => {
    const { sent, output } = collector();
    const bytes = Buffer.from('a€b😀c', 'utf8');
    // One byte per read, with time for a message after each.
    for (const byte of bytes) {
      output.write(Buffer.from([byte]));
      await tick(8);
    }
    await output.end();
    expect(sent.join('')).toBe('a€b😀c');
    for (const message of sent) expect(message).not.toContain('\uFFFD');
    expect(sent).toContain('€');
    expect(sent).toContain('😀');
  });

  it('sends chunks that arrive together as one message', async () => {
    const { sent, output } = collector();
    for (let i = 0; i < 100; i++) output.write(Buffer.from(`line ${i}\n`));
    await tick();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('line 99\n');
  });

  it('asks the writer to pause above the high-water mark and resumes it once sent', async () => {
    let release: () => void = () => undefined;
    const output = new TextOutput(() => new Promise<void>((resolve) => (release = resolve)), {
      minIntervalMs: 0,
      burst: 1,
      highWaterMark: 10,
    });
    expect(output.write(Buffer.from('12345'))).toBe(true);
    await tick();
    expect(output.write(Buffer.from('0123456789ab'))).toBe(false);
    let drained = false;
    output.onDrain(() => (drained = true));
    release();
    await tick();
    // The second message is on its way, but not yet sent.
    expect(drained).toBe(false);
    release();
    await tick();
    expect(drained).toBe(true);
  });

  it('sends a short burst at once, then paces a flood', async () => {
    // Fake timers make the pacing exact; on a loaded machine real ones would make the thresholds flaky.
    vi.useFakeTimers();
    try {
      const sentAt: number[] = [];
      const output = new TextOutput(() => void sentAt.push(Date.now()), {
        minIntervalMs: 40,
        burst: 2,
        highWaterMark: 1e6,
      });
      const started = Date.now();
      for (let i = 0; i < 6; i++) {
        output.write(Buffer.from(`chunk ${i}`));
        await vi.advanceTimersByTimeAsync(1);
      }
      await vi.advanceTimersByTimeAsync(200);
      // The first two go out at once (interactive echo is never held); the rest at most one per 40 ms.
      expect(sentAt[0]! - started).toBeLessThan(15);
      expect(sentAt[1]! - started).toBeLessThan(15);
      expect(sentAt.length).toBeGreaterThanOrEqual(3);
      expect(sentAt.length).toBeLessThanOrEqual(5);
      for (let i = 3; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThanOrEqual(35);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends an incomplete trailing character as a replacement character rather than dropping it', async () => {
    const { sent, output } = collector();
    output.write(Buffer.from([0x61, 0xe2, 0x82]));
    await output.end();
    expect(sent.join('')).toBe('a\uFFFD');
  });
});
