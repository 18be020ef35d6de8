// Meetings list logic: upcoming vs past, dates in the UI language, sync state.
import type { MeetingSummary } from "./bindings";
import { localeOf, type Lang } from "./i18n";

/** Upcoming (starting now or later, soonest first) and past (latest first). */
export function splitMeetings(
  meetings: readonly MeetingSummary[],
  nowMs: number,
): { upcoming: MeetingSummary[]; past: MeetingSummary[] } {
  const upcoming = meetings.filter((m) => m.startsAt >= nowMs).sort((a, b) => a.startsAt - b.startsAt);
  const past = meetings.filter((m) => m.startsAt < nowMs).sort((a, b) => b.startsAt - a.startsAt);
  return { upcoming, past };
}

/** A date and time in the language's conventions: "14:30 25/11/2026" (vi-VN), "25/11/2026, 14:30" (en-GB). */
export function formatDateTime(ms: number, lang: Lang, timeZone?: string): string {
  return new Intl.DateTimeFormat(localeOf(lang), {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(new Date(ms));
}

export type MeetingSyncState =
  | { kind: "empty" }
  | { kind: "downloaded" }
  | { kind: "downloading"; done: number; total: number }
  | { kind: "error"; rejected: number };

/** What the list shows about a meeting's documents. */
export function meetingSyncState(m: MeetingSummary): MeetingSyncState {
  if (m.versionsRejected > 0) return { kind: "error", rejected: m.versionsRejected };
  if (m.versionsTotal === 0) return { kind: "empty" };
  if (m.versionsReady >= m.versionsTotal) return { kind: "downloaded" };
  return { kind: "downloading", done: m.versionsReady, total: m.versionsTotal };
}
