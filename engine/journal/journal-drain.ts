// Main-thread consumer of a shard's journal: turns each committed entry into a Change, gives it
// the next node-wide LSN (invariant 4) and releases the ring space. Runs when a batch returns,
// before its results are delivered, so an acknowledged write is always already in the change log.

import type { ChangeLog } from '../change-log';
import type { ChangeKind } from '../types';
import { EntryKind } from './journal-layout';
import { JournalEntryReader } from './journal-entry-reader';

const decoder = new TextDecoder();
const kinds: Record<number, ChangeKind> = {
  [EntryKind.Put]: 'put',
  [EntryKind.Delete]: 'delete',
  [EntryKind.Touch]: 'touch',
  [EntryKind.Expired]: 'expired',
  [EntryKind.Evicted]: 'evicted',
};

export class JournalDrain {
  readonly #entries: JournalEntryReader;
  readonly #changeLog: ChangeLog;
  readonly #namespaceNames: readonly string[];

  constructor(journalBuffer: SharedArrayBuffer, changeLog: ChangeLog, namespaceNames: readonly string[]) {
    this.#entries = new JournalEntryReader(journalBuffer);
    this.#changeLog = changeLog;
    this.#namespaceNames = namespaceNames;
  }

  /** Moves every committed entry into the change log. Returns how many. */
  drain(): number {
    const entries = this.#entries;
    const head = entries.head;
    let position = entries.tail;
    let drained = 0;
    while (position !== head) {
      entries.at(position);
      const bytes = entries.entryBytes;
      if (bytes === 0 || bytes % 8 !== 0) throw new Error(`journal invariant: entry of ${bytes} bytes at ${position}`);
      const kind = entries.kind;
      if (kind !== EntryKind.Pad) {
        const changeKind = kinds[kind];
        const ns = this.#namespaceNames[entries.namespaceId];
        if (changeKind === undefined || ns === undefined) throw new Error(`journal invariant: entry kind ${kind} namespace ${entries.namespaceId}`);
        const keyStart = entries.keyStart;
        const contentTypeStart = entries.contentTypeStart;
        const valueStart = entries.valueStart;
        this.#changeLog.append({
          kind: changeKind,
          ns,
          key: entries.u8.slice(keyStart, keyStart + entries.keyLength),
          generation: entries.generation,
          expiry: entries.expiry,
          lastModified: entries.lastModified,
          contentType: entries.contentTypeLength === 0 ? '' : decoder.decode(entries.u8.subarray(contentTypeStart, contentTypeStart + entries.contentTypeLength)),
          value: kind === EntryKind.Put ? entries.u8.slice(valueStart, valueStart + entries.valueLength) : null,
        });
        drained++;
      }
      position = (position + bytes) >>> 0;
    }
    entries.tail = position;
    return drained;
  }
}
