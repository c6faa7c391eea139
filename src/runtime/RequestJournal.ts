import type { JournalEntryView } from '../surfaces/http/emulatorPort.ts';

/** The last N requests, for `/_emulator/requests`: what a contract test can assert on. */
export type JournalItem = JournalEntryView;

export interface JournalFilter {
  limit?: number;
  surface?: string;
  status?: number;
  operationId?: string;
}

export class RequestJournal {
  private items: JournalItem[] = [];
  private seq = 0;
  /** told of every entry, including those later trimmed or cleared (the kit's operations report) */
  private readonly listeners: Array<(item: JournalItem) => void> = [];
  constructor(private readonly capacity: number) {}

  onRecord(listener: (item: JournalItem) => void): void {
    this.listeners.push(listener);
  }

  record(item: Omit<JournalItem, 'id'>): void {
    const entry = { id: ++this.seq, ...item };
    this.items.push(entry);
    for (const l of this.listeners) l(entry);
    if (this.items.length > this.capacity * 2) this.items = this.items.slice(-this.capacity);
  }

  list(filter: JournalFilter = {}): JournalItem[] {
    let out = this.items;
    if (filter.operationId) out = out.filter((i) => i.operationId === filter.operationId);
    if (filter.surface) out = out.filter((i) => i.surface === filter.surface);
    if (filter.status !== undefined) out = out.filter((i) => i.status === filter.status);
    return out.slice(-(filter.limit ?? 100)).reverse();
  }

  /** every entry still held, oldest first (the kit's verification helpers read these) */
  all(): readonly JournalItem[] {
    return this.items;
  }

  clear(): void {
    this.items = [];
  }
}
