/** A half-open period [from, to). */
/** A half-open `[from, to)` period written as ISO-8601 instants (how records store periods). */
export interface IsoPeriod {
  from: string;
  to: string;
}

export interface Period {
  from: Date;
  to: Date;
}

export const contains = (p: Period, t: Date): boolean => t.getTime() >= p.from.getTime() && t.getTime() < p.to.getTime();

export const floorToSecond = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);
export const floorToMinute = (d: Date): Date => new Date(Math.floor(d.getTime() / 60000) * 60000);
/** The next whole minute, or t itself when it already is one (credit balance queries). */
export const ceilToMinute = (d: Date): Date => new Date(Math.ceil(d.getTime() / 60000) * 60000);
