import type { JournalEntryView } from '../surfaces/http/emulatorPort.ts';

/** The last N requests, for `/_emulator/requests`: what a contract test can assert on. */
export type JournalItem = JournalEntryView;

export class RequestJournal {
  private items: JournalItem[] = [];
  private seq = 0;
  constructor(private readonly capacity: number) {}

  record(item: Omit<JournalItem, 'id'>): void {
    this.items.push({ id: ++this.seq, ...item });
    if (this.items.length > this.capacity * 2) this.items = this.items.slice(-this.capacity);
  }

  list(filter: { limit?: number; surface?: string; status?: number } = {}): JournalItem[] {
    let out = this.items;
    if (filter.surface) out = out.filter((i) => i.surface === filter.surface);
    if (filter.status !== undefined) out = out.filter((i) => i.status === filter.status);
    return out.slice(-(filter.limit ?? 100)).reverse();
  }

  clear(): void {
    this.items = [];
  }
}
