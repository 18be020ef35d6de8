import { describe, expect, it } from "vitest";
import type { BallotView, MemberView, MotionView } from "./bindings";
import { messages } from "./i18n";
import {
  attendanceCounts,
  ballotStateKey,
  canVote,
  formatDuration,
  graceLeftMs,
  motionToPrompt,
  outcomeKey,
  quorumReached,
  rejectReasonKey,
  resultBars,
} from "./votes";

function motion(over: Partial<MotionView> = {}): MotionView {
  return {
    id: "m1",
    meetingId: "mt",
    meetingTitle: "Phiên họp",
    agendaItemId: "a1",
    question: "Thông qua?",
    options: ["Đồng ý", "Không đồng ý", "Không biểu quyết"],
    kind: "named",
    mode: "live",
    status: "open",
    deadline: null,
    openedAt: 1_000,
    closedAt: null,
    graceMs: 120_000,
    mayChangeVote: false,
    signedBallots: false,
    quorum: 2,
    eligible: true,
    myBallot: null,
    result: null,
    ...over,
  };
}

function ballot(state: BallotView["state"]): BallotView {
  return { opId: "o", motionId: "m1", choice: 0, castAt: 0, state };
}

describe("the vote dialog", () => {
  it("offers the oldest open motion I may vote on and have not voted on", () => {
    const motions = [
      motion({ id: "late", openedAt: 5_000 }),
      motion({ id: "voted", openedAt: 1, myBallot: ballot({ kind: "pending" }) }),
      motion({ id: "closed", openedAt: 2, status: "closed" }),
      motion({ id: "not-mine", openedAt: 3, eligible: false }),
      motion({ id: "early", openedAt: 4_000 }),
    ];
    expect(motionToPrompt(motions, new Set())?.id).toBe("early");
    expect(motionToPrompt(motions, new Set(["early"]))?.id).toBe("late");
    expect(motionToPrompt(motions, new Set(["early", "late"]))).toBeNull();
  });

  it("offers it again after a refusal that voting again can fix, not after one it cannot", () => {
    const bad = motion({ myBallot: ballot({ kind: "rejected", reason: "bad_signature" }) });
    expect(motionToPrompt([bad], new Set())?.id).toBe("m1");
    // A ballot refused for want of the token's signature: sign it and vote again.
    const unsigned = motion({ signedBallots: true, myBallot: ballot({ kind: "rejected", reason: "qualified_signature" }) });
    expect(motionToPrompt([unsigned], new Set())?.id).toBe("m1");
    expect(canVote(unsigned)).toBe(true);
    const late = motion({ myBallot: ballot({ kind: "rejected", reason: "closed" }) });
    expect(motionToPrompt([late], new Set())).toBeNull();
    expect(canVote(late)).toBe(false);
  });

  it("lets a member change a counted vote only where the motion allows it", () => {
    const accepted = ballot({ kind: "accepted" });
    expect(canVote(motion({ myBallot: accepted }))).toBe(false);
    expect(canVote(motion({ myBallot: accepted, mayChangeVote: true }))).toBe(true);
    expect(canVote(motion({ eligible: false }))).toBe(false);
  });
});

describe("ballot states and reasons", () => {
  it("has a label for every state and a sentence for every server reason", () => {
    for (const s of [{ kind: "pending" }, { kind: "sent" }, { kind: "accepted" }, { kind: "superseded" }, { kind: "rejected", reason: "closed" }] as const) {
      expect(messages.vi[ballotStateKey(s)]).toBeTruthy();
    }
    expect(rejectReasonKey("closed")).toBe("ballot.reason.closed");
    expect(rejectReasonKey("already_voted")).toBe("ballot.reason.already_voted");
    expect(rejectReasonKey("something_new")).toBe("ballot.reason.other");
    expect(messages.vi[rejectReasonKey("qualified_signature")]).toContain("ký số");
    expect(messages.en[rejectReasonKey("qualified_signature")]).toContain("signing token");
    expect(messages.vi[rejectReasonKey("certificate_not_registered")]).toContain("chưa được quản trị viên đăng ký");
    expect(messages.en[rejectReasonKey("certificate_not_registered")]).toContain("not registered");
    expect(messages.en[rejectReasonKey("not_eligible")]).toContain("not");
    expect(messages.vi[rejectReasonKey("revocation_unknown")]).toContain("danh sách thu hồi");
    expect(messages.en[rejectReasonKey("revocation_unknown")]).toContain("revocation list");
    expect(messages.vi[rejectReasonKey("opinion_form")]).toContain("Phiếu lấy ý kiến");
    expect(messages.en[rejectReasonKey("opinion_form")]).toContain("opinion form");
  });
});

describe("the result chart", () => {
  it("gives each option its share of the ballots and a bar relative to the largest", () => {
    const bars = resultBars(["Đồng ý", "Không đồng ý", "Không biểu quyết"], [6, 2, 0]);
    expect(bars.map((b) => b.count)).toEqual([6, 2, 0]);
    expect(bars.map((b) => b.percent)).toEqual([75, 25, 0]);
    expect(bars.map((b) => Math.round(b.width))).toEqual([100, 33, 0]);
  });

  it("rounds shares to one decimal and copes with no ballots or missing counts", () => {
    expect(resultBars(["a", "b", "c"], [1, 1, 1]).map((b) => b.percent)).toEqual([33.3, 33.3, 33.3]);
    expect(resultBars(["a", "b"], [0, 0]).map((b) => [b.percent, b.width])).toEqual([[0, 0], [0, 0]]);
    expect(resultBars(["a", "b"], [4]).map((b) => b.count)).toEqual([4, 0]);
  });

  it("names the outcome", () => {
    const r = { isFinal: true, counts: [], participating: 0, present: 0, eligible: 0, quorumRequired: 0, quorumMet: true, auditHead: null };
    expect(outcomeKey({ ...r, outcome: "adopted" })).toBe("result.adopted");
    expect(outcomeKey({ ...r, outcome: "rejected" })).toBe("result.rejected");
    expect(outcomeKey({ ...r, outcome: "no_quorum" })).toBe("result.no_quorum");
  });
});

describe("the chair's countdowns", () => {
  it("counts the grace period down from the close and stops at zero", () => {
    const closed = motion({ status: "closed", closedAt: 10_000, graceMs: 120_000 });
    expect(graceLeftMs(closed, 10_000)).toBe(120_000);
    expect(graceLeftMs(closed, 70_500)).toBe(59_500);
    expect(graceLeftMs(closed, 500_000)).toBe(0);
    expect(graceLeftMs(motion(), 10_000)).toBeNull();
    expect(graceLeftMs(motion({ mode: "written", status: "closed", closedAt: 1 }), 2)).toBeNull();
  });

  it("formats what is left as minutes and seconds, rounding up", () => {
    expect(formatDuration(120_000)).toBe("2:00");
    expect(formatDuration(59_500)).toBe("1:00");
    expect(formatDuration(9_001)).toBe("0:10");
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(-5)).toBe("0:00");
    expect(formatDuration(2 * 3600_000 + 3 * 60_000 + 4_000)).toBe("2:03:04");
  });
});

describe("attendance", () => {
  it("counts members in the room and online as present", () => {
    const m = (presence: string | null): MemberView => ({ userId: "u", displayName: "n", role: "member", presence });
    const c = attendanceCounts([m("in_room"), m("online"), m("in_room"), m("absent"), m(null)]);
    expect(c).toEqual({ present: 3, inRoom: 2, online: 1, absent: 1, unmarked: 1, total: 5 });
    expect(quorumReached(c.present, 3)).toBe(true);
    expect(quorumReached(c.present, 4)).toBe(false);
  });
});
