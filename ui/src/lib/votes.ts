// Voting logic the screens share: which motion the vote dialog offers, how a
// ballot's state and the server's reason read, the result chart's bars, and
// the chair's grace-period and deadline countdowns.
import type { BallotStateView, BallotView, MemberView, MotionView, ResultView } from "./bindings";
import type { MessageKey } from "./i18n";

/** The motion the dialog pops up for: the oldest open one I may vote on and
 * have not voted on (or whose ballot was refused for a reason I can fix by
 * voting again), unless I put it off. */
export function motionToPrompt(motions: readonly MotionView[], dismissed: ReadonlySet<string>): MotionView | null {
  const due = motions.filter(
    (m) => m.status === "open" && m.eligible && !dismissed.has(m.id) && needsBallot(m.myBallot),
  );
  due.sort((a, b) => (a.openedAt ?? 0) - (b.openedAt ?? 0));
  return due[0] ?? null;
}

function needsBallot(b: BallotView | null): boolean {
  if (b === null) return true;
  // Refused for being late, ineligible or a repeat: voting again cannot help.
  return b.state.kind === "rejected" && !["closed", "not_eligible", "already_voted", "device_revoked"].includes(b.state.reason);
}

/** Whether a member may (still) cast a ballot on this motion from this device. */
export function canVote(m: MotionView): boolean {
  if (m.status !== "open" || !m.eligible) return false;
  return needsBallot(m.myBallot) || m.mayChangeVote;
}

/** The label of a ballot's state. */
export function ballotStateKey(s: BallotStateView): MessageKey {
  return `ballot.${s.kind}` as MessageKey;
}

const REASONS: Record<string, MessageKey> = {
  closed: "ballot.reason.closed",
  not_open: "ballot.reason.not_open",
  not_eligible: "ballot.reason.not_eligible",
  unknown_motion: "ballot.reason.unknown_motion",
  bad_signature: "ballot.reason.bad_signature",
  device_revoked: "ballot.reason.device_revoked",
  already_voted: "ballot.reason.already_voted",
  invalid_choice: "ballot.reason.invalid_choice",
  forbidden: "ballot.reason.forbidden",
  qualified_signature: "ballot.reason.qualified_signature",
  certificate_not_registered: "ballot.reason.certificate_not_registered",
  revocation_unknown: "ballot.reason.revocation_unknown",
  opinion_form: "ballot.reason.opinion_form",
};

/** The server's reason code as a sentence a member understands. */
export function rejectReasonKey(reason: string): MessageKey {
  return REASONS[reason] ?? "ballot.reason.other";
}

export interface Bar {
  label: string;
  count: number;
  /** Share of the ballots cast, 0–100, rounded to one decimal. */
  percent: number;
  /** Bar length relative to the largest count, 0–100. */
  width: number;
}

/** One bar per option, in the motion's order. */
export function resultBars(options: readonly string[], counts: readonly number[]): Bar[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...counts);
  return options.map((label, i) => {
    const count = counts[i] ?? 0;
    return {
      label,
      count,
      percent: total === 0 ? 0 : Math.round((count / total) * 1000) / 10,
      width: max === 0 ? 0 : (count / max) * 100,
    };
  });
}

export function outcomeKey(r: ResultView): MessageKey {
  switch (r.outcome) {
    case "adopted":
      return "result.adopted";
    case "no_quorum":
      return "result.no_quorum";
    default:
      return "result.rejected";
  }
}

/** When a motion stops receiving ballots: close + grace for live motions,
 * the deadline for written consultations; null while that is not known. */
export function votingEndsAt(m: MotionView): number | null {
  if (m.mode === "written") return m.deadline;
  if (m.closedAt === null) return null;
  return m.closedAt + m.graceMs;
}

/** Milliseconds left in the grace period of a closed live motion (0 once over). */
export function graceLeftMs(m: MotionView, nowMs: number): number | null {
  if (m.mode !== "live" || m.status !== "closed") return null;
  const end = votingEndsAt(m);
  return end === null ? null : Math.max(0, end - nowMs);
}

/** "1:05", "0:09", "12:00"; hours as "2:03:04". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Members present (in the room or online) against the committee's size. */
export function attendanceCounts(members: readonly MemberView[]): { present: number; inRoom: number; online: number; absent: number; unmarked: number; total: number } {
  const c = { present: 0, inRoom: 0, online: 0, absent: 0, unmarked: 0, total: members.length };
  for (const m of members) {
    if (m.presence === "in_room") c.inRoom++;
    else if (m.presence === "online") c.online++;
    else if (m.presence === "absent") c.absent++;
    else c.unmarked++;
  }
  c.present = c.inRoom + c.online;
  return c;
}

/** Whether the members present reach a motion's quorum (for the chair's panel). */
export function quorumReached(present: number, quorum: number): boolean {
  return present >= quorum;
}
