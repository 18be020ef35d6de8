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

/** An agenda item's time on the floor against the time planned for it. */
export interface FloorTime {
  /** Time on the floor, ms: the earlier stretches plus the current one. */
  elapsedMs: number;
  /** The time planned, ms; null without a plan. */
  plannedMs: number | null;
  /** Past the time planned. */
  over: boolean;
}

/** Where an agenda item's time stands at device time `deviceNow`, from its
 *  record (server times) and `offsetMs`, the server's clock minus this
 *  device's: a device whose clock is off still shows the right time. */
export function floorTime(
  item: { plannedMinutes: number | null; timeOnFloorMs: number; onFloorSince: number | null },
  deviceNow: number,
  offsetMs: number,
): FloorTime {
  const current = item.onFloorSince === null ? 0 : Math.max(0, deviceNow + offsetMs - item.onFloorSince);
  const elapsedMs = Math.max(0, item.timeOnFloorMs) + current;
  const plannedMs = item.plannedMinutes === null ? null : item.plannedMinutes * 60_000;
  return { elapsedMs, plannedMs, over: plannedMs !== null && elapsedMs > plannedMs };
}

/** A limit or plan typed in minutes ("5", "2,5", "1.5"): ms, null when the
 *  field is empty, or "invalid" when it is not a number in [min, max] ms. */
export function parseMinutes(text: string, minMs: number, maxMs: number): number | null | "invalid" {
  const t = text.trim().replace(",", ".");
  if (t === "") return null;
  if (!/^\d+(\.\d+)?$/.test(t)) return "invalid";
  const ms = Math.round(Number(t) * 60_000);
  return ms < minMs || ms > maxMs ? "invalid" : ms;
}

/** A limit in ms as minutes for a form field or a label (up to two
 *  decimals, so 150 000 ms is "2.5"), or "" when there is none. The inverse
 *  of {@link parseMinutes} for what it accepts. */
export function minutesText(ms: number | null): string {
  return ms === null ? "" : String(Math.round((ms / 60_000) * 100) / 100);
}
