// Progress on the terminal while a run goes: one line rewritten in place on a TTY, a line per
// update otherwise (CI logs).

export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #interactive: boolean;
  #open = false;
  #lastUpdateMs = 0;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#interactive = stream.isTTY === true;
  }

  /** Replaces the current status line (at most once a second in a log, ten times on a terminal). */
  update(text: string): void {
    const nowMs = performance.now();
    if (nowMs - this.#lastUpdateMs < (this.#interactive ? 100 : 1_000)) return;
    this.#lastUpdateMs = nowMs;
    if (this.#interactive) {
      this.#stream.write(`\r\x1b[2K${text}`);
      this.#open = true;
    } else this.#stream.write(`${text}\n`);
  }

  /** Prints a permanent line (ending any status line first). */
  log(text: string): void {
    if (this.#open) {
      this.#stream.write('\n');
      this.#open = false;
    }
    this.#stream.write(`${text}\n`);
  }
}
