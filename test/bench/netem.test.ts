// The benchmarks' network emulator must delay and cap at all: its figures are only as good as it is. Bounds are
// generous (the machine running the tests is shared); the bench prints the exact figures.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeconfigTarget, measureNetem, startNetem, writeProxiedKubeconfig } from '../../bench/netem.mjs';

describe('bench network emulator', () => {
  it('adds the round-trip time and caps the bandwidth of each direction', async () => {
    const profile = { rttMs: 40, upMbps: 20, downMbps: 40 };
    const measured = await measureNetem(profile, { bytes: 2 * 1024 * 1024, pings: 5 });
    // Never faster than the network it emulates; slower only by what a loaded machine adds.
    expect(measured.rttMs).toBeGreaterThanOrEqual(40);
    expect(measured.rttMs).toBeLessThan(40 * 4);
    expect(measured.upMbps).toBeLessThan(20 * 1.1);
    expect(measured.upMbps).toBeGreaterThan(20 / 4);
    expect(measured.downMbps).toBeLessThan(40 * 1.1);
    expect(measured.downMbps).toBeGreaterThan(40 / 4);
  });

  it('passes every byte and the end of each stream, and counts the round trips made in sequence', async () => {
    // Answers each short message with itself, and a long one with its size once it has all of it.
    const bulk = 3 * 1024 * 1024 + 17;
    const echo = createServer((socket) => {
      let bulkReceived = 0;
      socket.on('data', (chunk: Buffer) => {
        if (chunk.length < 8 && bulkReceived === 0) return void socket.write(chunk);
        bulkReceived += chunk.length;
        if (bulkReceived === bulk) socket.end(String(bulk));
      });
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const port = (echo.address() as { port: number }).port;
    const netem = await startNetem({ host: '127.0.0.1', port }, 'lan');
    try {
      const mark = netem.mark();
      const { connect } = await import('node:net');
      const socket = connect(netem.port, '127.0.0.1');
      const payload = Buffer.alloc(bulk, 'devmode');
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      // Three exchanges one after another, then a bulk one answered at its end.
      for (const word of ['one', 'two', 'three']) {
        const answered = once(socket, 'data');
        socket.write(word);
        await answered;
      }
      socket.end(payload);
      await once(socket, 'end');
      expect(received.toString('latin1', 0, 11)).toBe('onetwothree');
      expect(received.toString('latin1', 11)).toBe(String(bulk));
      const traffic = netem.since(mark);
      expect(traffic.connections).toBe(1);
      expect(traffic.upBytes).toBe(11 + payload.length);
      // The TCP handshake, the three words and the bulk transfer.
      expect(traffic.sequentialRoundTrips).toBe(5);
    } finally {
      await netem.close();
      echo.close();
    }
  });

  it('writes a kubeconfig that points at the emulator and keeps everything else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmode-netem-'));
    try {
      const source = join(dir, 'kubeconfig');
      writeFileSync(
        source,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- name: sandbox',
          '  cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: Q0E=}',
          'contexts:',
          '- {name: sandbox, context: {cluster: sandbox, user: sandbox}}',
          'current-context: sandbox',
          'users:',
          '- {name: sandbox, user: {token: secret}}',
          '',
        ].join('\n'),
      );
      const target = kubeconfigTarget(source);
      expect(target).toEqual({ host: '127.0.0.1', port: 6443 });
      const proxied = join(dir, 'proxied');
      writeProxiedKubeconfig(source, proxied, target, 7000);
      expect(kubeconfigTarget(proxied)).toEqual({ host: '127.0.0.1', port: 7000 });
      expect(readFileSync(proxied, 'utf8')).toContain('certificate-authority-data: Q0E=');
      expect(() => writeProxiedKubeconfig(source, proxied, { host: '127.0.0.1', port: 1 }, 7000)).toThrow(
        /no cluster at 127.0.0.1:1/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
