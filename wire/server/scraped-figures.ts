// Metrics read at scrape time from one reading of a set of figures (engine stats, the replication
// status document): nothing is counted per op. prom-client collects metrics in the order they were
// registered, so the first metric registered through a ScrapedFigures takes the reading and the
// others use it: one engine.stats() or status() per scrape, not one per metric.

import { Counter, Gauge, type Registry } from 'prom-client';

/** Labelled rows of one metric: [label value, figure]; null leaves the metric empty. */
export type LabelledRows = readonly (readonly [string, number])[] | null;

export class ScrapedFigures<F> {
  readonly #registers: Registry[];
  readonly #take: () => F;
  #current: F | null = null;
  #registered = 0;

  constructor(registry: Registry, take: () => F) {
    this.#registers = [registry];
    this.#take = take;
  }

  /** A figure that is set as read (null: left as it was). */
  gauge(name: string, help: string, read: (current: F) => number | null): void {
    const owner = this;
    const first = this.#registered++ === 0;
    new Gauge({
      name,
      help,
      registers: this.#registers,
      collect(this: Gauge) {
        if (first) owner.#current = owner.#take();
        const value = owner.#current === null ? null : read(owner.#current);
        if (value !== null) this.set(value);
      },
    });
  }

  /** A count kept elsewhere since start, exposed as a counter (null: left as it was). */
  counter(name: string, help: string, read: (current: F) => number | null): void {
    const owner = this;
    const first = this.#registered++ === 0;
    new Counter({
      name,
      help,
      registers: this.#registers,
      collect(this: Counter) {
        if (first) owner.#current = owner.#take();
        const value = owner.#current === null ? null : read(owner.#current);
        if (value === null) return;
        this.reset();
        this.inc(value);
      },
    });
  }

  /** One series per row, under `label`; the rows of the last scrape are dropped first. */
  labelled(kind: 'gauge' | 'counter', name: string, help: string, label: string, read: (current: F) => LabelledRows): void {
    const owner = this;
    const first = this.#registered++ === 0;
    const collect = function (this: Gauge<string> | Counter<string>): void {
      if (first) owner.#current = owner.#take();
      this.reset();
      const rows = owner.#current === null ? null : read(owner.#current);
      if (rows === null) return;
      for (const [value, figure] of rows) {
        if (this instanceof Gauge) this.set({ [label]: value }, figure);
        else this.inc({ [label]: value }, figure);
      }
    };
    const labelNames = [label];
    if (kind === 'gauge') new Gauge({ name, help, labelNames, registers: this.#registers, collect });
    else new Counter({ name, help, labelNames, registers: this.#registers, collect });
  }
}
