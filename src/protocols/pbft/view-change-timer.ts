/**
 * A backup's view-change timer (Castro & Liskov, OSDI'99, §4.4): it runs while the backup waits
 * for some request to execute and, when it expires, the backup moves to the next view. The
 * timeout doubles with each consecutive view change (one that begins before any request executed
 * since the last), so a view with an honest primary eventually lasts long enough to make
 * progress, and resets when a request executes.
 */
import type { NodeEnv, TimerId } from '../../core/node.js';
import type { SignedMsg } from './crypto.js';

/** T: how long a backup waits for a pending request before it starts a view change. */
export const VIEW_CHANGE_TIMEOUT_MS = 300;
/** The timeout doubles with each consecutive view change, up to this. */
export const MAX_VIEW_CHANGE_TIMEOUT_MS = 8 * VIEW_CHANGE_TIMEOUT_MS;
/** The name of the timer; its data is the view it was started in. */
export const VIEW_CHANGE_TIMER = 'view-change';

/** When a replica started a view change, to which view, and the timeout it then waits. */
export interface ViewChangeRecord {
  readonly view: number;
  readonly at: number;
  readonly timeoutMs: number;
}

export class ViewChangeTimer {
  private timer: TimerId | null = null;
  private timeout = VIEW_CHANGE_TIMEOUT_MS;
  /** No request executed since the last view change: the next one doubles the timeout. */
  private consecutive = false;
  private readonly started: ViewChangeRecord[] = [];

  constructor(private readonly env: NodeEnv<SignedMsg>) {}

  get timeoutMs(): number {
    return this.timeout;
  }

  /** Every view change this replica started, in order. */
  get log(): readonly ViewChangeRecord[] {
    return this.started;
  }

  /** Starts the timer for `view` unless it runs already. */
  start(view: number): void {
    if (this.timer === null) {
      this.timer = this.env.setTimer(this.timeout, VIEW_CHANGE_TIMER, view);
    }
  }

  stop(): void {
    if (this.timer !== null) {
      this.env.cancelTimer(this.timer);
      this.timer = null;
    }
  }

  /** The timer went off (it is no longer running). */
  expired(): void {
    this.timer = null;
  }

  /** A view change to `view` begins: the timeout doubles if it follows another. */
  viewChangeBegins(view: number): void {
    if (this.consecutive) {
      this.timeout = Math.min(2 * this.timeout, MAX_VIEW_CHANGE_TIMEOUT_MS);
    }
    this.consecutive = true;
    this.stop();
    this.started.push({ view, at: this.env.now(), timeoutMs: this.timeout });
  }

  /** A request executed: the next view change waits the base timeout again. */
  requestExecuted(): void {
    this.consecutive = false;
    this.timeout = VIEW_CHANGE_TIMEOUT_MS;
  }
}
