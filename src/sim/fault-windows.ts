/**
 * When the network was outside the bounded-delay assumption: the virtual-time windows in which
 * some fault cut a link, lost, reordered or slowed messages, or held a node down or paused.
 * A judge whose protocol promises something only under bounded delay (Nakamoto consensus's
 * k-confirmation finality: Garay, Kiayias, Leonardos, "The Bitcoin Backbone Protocol",
 * EUROCRYPT 2015) reads them to tell a broken promise from a broken assumption.
 */
export type FaultWindow = readonly [from: number, to: number];

export class FaultWindowLog {
  private readonly closed: FaultWindow[] = [];
  private openedAt: number | null = null;

  /** Records whether the network is degraded from virtual time `now` on. */
  note(degraded: boolean, now: number): void {
    if (degraded && this.openedAt === null) this.openedAt = now;
    else if (!degraded && this.openedAt !== null) {
      this.closed.push([this.openedAt, now]);
      this.openedAt = null;
    }
  }

  /** The windows so far; one still open ends at `Infinity`. */
  windows(): FaultWindow[] {
    return this.openedAt === null ? [...this.closed] : [...this.closed, [this.openedAt, Infinity]];
  }
}
