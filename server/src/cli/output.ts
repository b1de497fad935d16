/**
 * How the CLI prints: colours and a live status line on a terminal, plain lines otherwise, one JSON object per
 * line with `--output json` for scripts.
 */
export type OutputFormat = 'text' | 'json';

export class Output {
  private readonly tty: boolean;
  private statusShown = false;

  public constructor(public readonly format: OutputFormat) {
    this.tty = format === 'text' && process.stdout.isTTY && process.env.NO_COLOR === undefined;
  }

  /** A line for a person (text) or an event object (json). */
  public event(kind: string, text: string, data: Record<string, unknown> = {}): void {
    if (this.format === 'json') {
      process.stdout.write(`${JSON.stringify({ event: kind, message: text, ...data })}\n`);
      return;
    }
    this.clearStatus();
    process.stdout.write(`${text}\n`);
  }

  public success(text: string, data: Record<string, unknown> = {}): void {
    this.event('success', this.tty ? `\x1b[32m✓\x1b[0m ${text}` : `✓ ${text}`, data);
  }

  public heading(text: string): void {
    this.event('phase', this.tty ? `\x1b[1m${text}\x1b[0m` : text, { phase: text });
  }

  /** A status that the next one replaces on a terminal (progress), or a plain line elsewhere. */
  public status(text: string, data: Record<string, unknown> = {}): void {
    if (this.format === 'json' || !this.tty) {
      this.event('progress', `  ${text}`, data);
      return;
    }
    process.stdout.write(`\r\x1b[2K  \x1b[36m…\x1b[0m ${text}`);
    this.statusShown = true;
  }

  /** The final result of a command in json mode; a no-op in text mode, which printed as it went. */
  public result(data: unknown): void {
    if (this.format === 'json') process.stdout.write(`${JSON.stringify({ event: 'result', result: data })}\n`);
  }

  public error(text: string, data: Record<string, unknown> = {}): void {
    this.clearStatus();
    if (this.format === 'json') {
      process.stdout.write(`${JSON.stringify({ event: 'error', message: text, ...data })}\n`);
      return;
    }
    process.stderr.write(this.tty ? `\x1b[31m✗\x1b[0m ${text}\n` : `✗ ${text}\n`);
    if (typeof data.hint === 'string') process.stderr.write(`  hint: ${data.hint}\n`);
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    process.stdout.write('\r\x1b[2K');
    this.statusShown = false;
  }
}
