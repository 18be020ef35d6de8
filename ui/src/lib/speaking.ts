// The speaking timer every device shows for the current speaker: counted in
// the server's time (this device's clock plus the offset it measured at its
// last sync), so a tablet whose clock is minutes off still shows the time
// the chair set, to the second.

export interface SpeakingClock {
  /** Time spoken so far, ms (never negative). */
  elapsedMs: number;
  /** Time left of the limit, ms; negative once over; null without a limit. */
  remainingMs: number | null;
  over: boolean;
}

/** Where the current speaker's turn stands at device time `deviceNow`,
 *  `offsetMs` being the server's clock minus this device's. */
export function speakingClock(
  grantedAt: number,
  timeLimitMs: number | null,
  deviceNow: number,
  offsetMs: number,
): SpeakingClock {
  const serverNow = deviceNow + offsetMs;
  const elapsedMs = Math.max(0, serverNow - grantedAt);
  const remainingMs = timeLimitMs === null ? null : timeLimitMs - elapsedMs;
  return { elapsedMs, remainingMs, over: remainingMs !== null && remainingMs < 0 };
}

/** `m:ss` (or `h:mm:ss`) of a duration, rounded so a countdown shows 0:00
 *  only when the time is up, and an overrun counts up from 0:01. */
export function clockText(ms: number, countingDown: boolean): string {
  const total = countingDown ? Math.ceil(Math.abs(ms) / 1000) : Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** The limit after the chair adds `addMs` (from the time already spoken
 *  when there was no limit, so "+1 minute" always gives a minute more). */
export function extendedLimit(timeLimitMs: number | null, elapsedMs: number, addMs: number): number {
  return (timeLimitMs ?? elapsedMs) + addMs;
}
