import { describe, expect, it } from "vitest";
import type { DraftCommentView } from "./bindings";
import { messages } from "./i18n";
import {
  MAX_COMMENT_CHARS,
  checkCommentText,
  checkReply,
  commentRejectKey,
  groupByPage,
  queuedStateKey,
  statusCounts,
  statusKey,
} from "./comments";

function comment(id: string, page: number | null, over: Partial<DraftCommentView> = {}): DraftCommentView {
  return {
    id,
    version: 1,
    authorName: "Lê Minh Tuấn",
    mine: false,
    page,
    region: null,
    text: "Đề nghị làm rõ nguồn vốn.",
    writtenAt: 1_000,
    receivedAt: 1_500,
    status: "open",
    reply: null,
    repliedByName: null,
    repliedAt: null,
    ...over,
  };
}

describe("comments on drafts", () => {
  it("groups the whole document first, then pages ascending, each in arrival order", () => {
    const list = [comment("a", 3), comment("b", null), comment("c", 1), comment("d", 3), comment("e", null), comment("f", 12)];
    expect(groupByPage(list).map((g) => [g.page, g.comments.map((c) => c.id)])).toEqual([
      [null, ["b", "e"]],
      [1, ["c"]],
      [3, ["a", "d"]],
      [12, ["f"]],
    ]);
    expect(groupByPage([])).toEqual([]);
  });

  it("checks the text as the server does: trimmed, 1 to 4000 characters", () => {
    expect(checkCommentText("  Đề nghị bổ sung số liệu.\n")).toEqual({ ok: true, value: "Đề nghị bổ sung số liệu." });
    expect(checkCommentText(" \n\t ")).toEqual({ ok: false, error: "comments.needText" });
    // Characters, not UTF-16 units: 4000 Vietnamese letters (and emoji) are allowed.
    expect(checkCommentText("ệ".repeat(MAX_COMMENT_CHARS)).ok).toBe(true);
    expect(checkCommentText("😀".repeat(MAX_COMMENT_CHARS)).ok).toBe(true);
    expect(checkCommentText("a".repeat(MAX_COMMENT_CHARS + 1))).toEqual({ ok: false, error: "comments.textTooLong" });
    expect(checkCommentText(` ${"a".repeat(MAX_COMMENT_CHARS)} `).ok).toBe(true);
  });

  it("needs a reply to answer or decline, not to accept", () => {
    expect(checkReply("accepted", "  ")).toEqual({ ok: true, value: null });
    expect(checkReply("accepted", " Đã tiếp thu. ")).toEqual({ ok: true, value: "Đã tiếp thu." });
    expect(checkReply("answered", "")).toEqual({ ok: false, error: "comments.needReply" });
    expect(checkReply("declined", " ")).toEqual({ ok: false, error: "comments.needReply" });
    expect(checkReply("declined", "Không phù hợp quy định.")).toEqual({ ok: true, value: "Không phù hợp quy định." });
    expect(checkReply("accepted", "x".repeat(4001))).toEqual({ ok: false, error: "comments.replyTooLong" });
  });

  it("labels every status and queued state, in both languages", () => {
    for (const s of ["open", "accepted", "answered", "declined"]) {
      expect(statusKey(s)).toBe(`comments.status.${s}`);
      expect(messages.en[statusKey(s)]).toBeTruthy();
    }
    expect(statusKey("something-new")).toBe("comments.status.open");
    expect(messages.vi[statusKey("accepted")]).toBe("Tiếp thu");
    expect(messages.vi[statusKey("answered")]).toBe("Giải trình");
    expect(messages.vi[statusKey("declined")]).toBe("Không tiếp thu");
    expect(queuedStateKey("pending")).toBe("comments.queued.pending");
    expect(queuedStateKey("sent")).toBe("comments.queued.sent");
    expect(queuedStateKey("accepted")).toBe("comments.queued.accepted");
    expect(queuedStateKey("rejected")).toBe("comments.queued.rejected");
    expect(queuedStateKey("other")).toBe("comments.queued.pending");
  });

  it("explains the server's reasons for refusing a comment", () => {
    expect(commentRejectKey("meeting_closed")).toBe("comments.reason.meeting_closed");
    expect(commentRejectKey("unknown_document")).toBe("comments.reason.unknown_document");
    expect(commentRejectKey("malformed")).toBe("comments.reason.malformed");
    expect(commentRejectKey("forbidden")).toBe("comments.reason.forbidden");
    expect(commentRejectKey("conflict")).toBe("comments.reason.conflict");
    expect(commentRejectKey("limit_reached")).toBe("comments.reason.limit_reached");
    expect(messages.en[commentRejectKey("limit_reached")]).toContain("50 from each member");
    expect(messages.vi[commentRejectKey("conflict")]).toContain("rút");
    expect(commentRejectKey("bad_signature")).toBe("comments.reason.other");
    expect(commentRejectKey(null)).toBe("comments.reason.other");
  });

  it("counts the comments per status for the secretary", () => {
    const list = [
      comment("a", 1),
      comment("b", 2, { status: "accepted" }),
      comment("c", null, { status: "answered", reply: "Đã giải trình." }),
      comment("d", 2, { status: "accepted" }),
      comment("e", 3, { status: "declined", reply: "Không phù hợp." }),
    ];
    expect(statusCounts(list)).toEqual({ open: 1, accepted: 2, answered: 1, declined: 1, total: 5 });
    expect(statusCounts([])).toEqual({ open: 0, accepted: 0, answered: 0, declined: 0, total: 0 });
  });
});
