// The wrong-PIN delay shown on the unlock screen, counting down each second.
import { writable, type Readable } from "svelte/store";

export interface Countdown extends Readable<number> {
  /** Starts (or restarts) at `seconds`; 0 or less stops it. */
  start(seconds: number): void;
  stop(): void;
}

/** Seconds left until the next PIN attempt; reaches 0 and stops there.
 * Counts against the clock, so a sleeping timer does not drift. */
export function createCountdown(now: () => number = Date.now): Countdown {
  const remaining = writable(0);
  let timer: ReturnType<typeof setInterval> | undefined;
  let until = 0;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - now()) / 1000));
    remaining.set(left);
    if (left === 0) stop();
  };
  function stop() {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }
  return {
    subscribe: remaining.subscribe,
    start(seconds: number) {
      stop();
      until = now() + Math.max(0, seconds) * 1000;
      tick();
      if (seconds > 0) timer = setInterval(tick, 250);
    },
    stop() {
      stop();
      remaining.set(0);
    },
  };
}
