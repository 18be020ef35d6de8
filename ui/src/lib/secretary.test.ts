import { describe, expect, it } from "vitest";
import type { AgendaItemView, SecretaryMeetingView, VersionView } from "./bindings";
import {
  applyMove,
  moveShown,
  checkMeetingForm,
  checkPdfFile,
  checkTitle,
  dropTarget,
  parseLocalDateTime,
  recordsItem,
  secretaryErrorKey,
  canWithdraw,
  checkReason,
  stepTarget,
  titleFromFileName,
  toLocalDateTime,
  versionStatus,
  ocrLine,
} from "./secretary";
import { translate } from "./i18n";

const item = (id: string, parentId: string | null, position: number, title = `title ${id}`): AgendaItemView => ({
  id,
  parentId,
  position,
  title,
  withdrawn: null,
  plannedMinutes: null,
  speakingLimitMs: null,
  timeOnFloorMs: 0,
  onFloorSince: null,
});

// a, b, c at the top; b has children b1, b2.
const agenda = [item("a", null, 0), item("c", null, 2), item("b", null, 1), item("b2", "b", 1), item("b1", "b", 0)];

const order = (items: AgendaItemView[], parent: string | null) =>
  items
    .filter((i) => i.parentId === parent)
    .sort((x, y) => x.position - y.position)
    .map((i) => i.id);

describe("meeting form", () => {
  it("accepts a title and a real local date and time", () => {
    const r = checkMeetingForm({ title: "  Họp thường kỳ ", location: " Phòng 1 ", startsAt: "2026-12-05T08:30" });
    expect(r).toEqual({
      ok: true,
      value: { title: "Họp thường kỳ", location: "Phòng 1", startsAt: new Date(2026, 11, 5, 8, 30).getTime() },
    });
  });

  it("names what is missing or wrong", () => {
    expect(checkMeetingForm({ title: " ", location: "", startsAt: "2026-12-05T08:30" })).toEqual({ ok: false, error: "sec.needTitle" });
    for (const bad of ["", "2026-12-05", "2026-02-31T08:00", "2026-12-05T25:00", "hôm nay"]) {
      expect(checkMeetingForm({ title: "Họp", location: "", startsAt: bad }), bad).toEqual({ ok: false, error: "sec.needTime" });
    }
    expect(checkTitle("  ")).toEqual({ ok: false, error: "sec.needTitle" });
    expect(checkTitle(" Mục 1 ")).toEqual({ ok: true, value: "Mục 1" });
  });

  it("shows a stored time back in the form unchanged", () => {
    const ms = parseLocalDateTime("2027-01-09T14:05");
    expect(ms).not.toBeNull();
    expect(toLocalDateTime(ms!)).toBe("2027-01-09T14:05");
  });
});

describe("moving agenda items", () => {
  it("steps up and down among siblings only, stopping at the ends", () => {
    expect(stepTarget(agenda, "b", -1)).toBe(0);
    expect(stepTarget(agenda, "b", 1)).toBe(2);
    expect(stepTarget(agenda, "a", -1)).toBeNull();
    expect(stepTarget(agenda, "c", 1)).toBeNull();
    expect(stepTarget(agenda, "b1", 1)).toBe(1);
    expect(stepTarget(agenda, "b2", 1)).toBeNull();
    expect(stepTarget(agenda, "missing", 1)).toBeNull();
  });

  it("drops onto a sibling take its place; other levels and itself are refused", () => {
    expect(dropTarget(agenda, "c", "a")).toBe(0);
    expect(dropTarget(agenda, "a", "c")).toBe(2);
    expect(dropTarget(agenda, "b2", "b1")).toBe(0);
    expect(dropTarget(agenda, "a", "a")).toBeNull();
    expect(dropTarget(agenda, "b1", "a")).toBeNull();
  });

  it("renumbers like the server so the list changes at once", () => {
    const moved = applyMove(agenda, "c", 0);
    expect(order(moved, null)).toEqual(["c", "a", "b"]);
    expect(order(moved, "b")).toEqual(["b1", "b2"]);
    expect(order(applyMove(agenda, "a", 99), null)).toEqual(["b", "c", "a"]);
    expect(order(applyMove(agenda, "b1", 1), "b")).toEqual(["b2", "b1"]);
    // The whole sequence a step at a time ends where one drop would.
    let stepped = agenda;
    for (let i = 0; i < 2; i++) stepped = applyMove(stepped, "a", stepTarget(stepped, "a", 1)!);
    expect(order(stepped, null)).toEqual(order(applyMove(agenda, "a", dropTarget(agenda, "a", "c")!), null));
  });

  it("keeps a move shown until the synced agenda shows it too", () => {
    const move = { id: "c", position: 0 };
    // The cache read back before the sync brought the move: not shown yet,
    // so the list keeps the move applied on top of it.
    expect(moveShown(agenda, move)).toBe(false);
    const synced = applyMove(agenda, "c", 0);
    expect(moveShown(synced, move)).toBe(true);
    // Applying a move the agenda already shows changes nothing.
    expect(order(applyMove(synced, "c", 0), null)).toEqual(order(synced, null));
    // Past the end counts as the last place, as the server renumbers it.
    expect(moveShown(applyMove(agenda, "a", 99), { id: "a", position: 99 })).toBe(true);
    expect(moveShown(agenda, { id: "a", position: 99 })).toBe(false);
    // An item deleted meanwhile has nothing left to show.
    expect(moveShown(agenda.filter((i) => i.id !== "c"), move)).toBe(true);
  });
});

describe("files and documents", () => {
  it("checks the chosen file before reading it", () => {
    const max = 64 * 1024 * 1024;
    expect(checkPdfFile({ name: "to-trinh.pdf", size: 10_000, type: "application/pdf" }, max)).toBeNull();
    expect(checkPdfFile({ name: "TO TRINH.PDF", size: 10_000, type: "" }, max)).toBeNull();
    expect(checkPdfFile({ name: "anh.png", size: 10_000, type: "image/png" }, max)).toBe("error.not_pdf");
    expect(checkPdfFile({ name: "rong.pdf", size: 0, type: "application/pdf" }, max)).toBe("error.not_pdf");
    expect(checkPdfFile({ name: "lon.pdf", size: max + 1, type: "application/pdf" }, max)).toBe("error.file_too_large");
    // The limit is the server's: a scanned pack over 64 MiB passes where the
    // server accepts 1 GiB, and nothing over the stated limit does.
    const pack = { name: "ho-so-scan.pdf", size: 300 * 1024 * 1024, type: "application/pdf" };
    expect(checkPdfFile(pack, 1024 * 1024 * 1024)).toBeNull();
    expect(checkPdfFile(pack, max)).toBe("error.file_too_large");
  });

  it("proposes a title from the file name", () => {
    expect(titleFromFileName("Tờ_trình_ngân_sách.pdf")).toBe("Tờ trình ngân sách");
    expect(titleFromFileName("bien-ban.PDF")).toBe("bien-ban");
  });

  it("finds the dedicated item for the minutes and the conclusion notice", () => {
    expect(recordsItem(agenda)).toBeNull();
    const withRecords = [...agenda, item("r", null, 3, "Biên bản và thông báo kết luận")];
    expect(recordsItem(withRecords)?.id).toBe("r");
    // A sub-item with that title is not it.
    expect(recordsItem([...agenda, item("x", "b", 2, "Biên bản và thông báo kết luận")])).toBeNull();
  });

  it("marks versions draft until published, then superseded by a newer one", () => {
    const v = (id: string, superseded: boolean): VersionView => ({ id, version: 1, superseded, size: 1, state: { kind: "pending" }, textLayer: null, policy: null, uploadSignatureCheck: null });
    const view = { unpublishedVersionIds: ["v3"] } as SecretaryMeetingView;
    expect(versionStatus(view, v("v3", false))).toBe("draft");
    expect(versionStatus(view, v("v2", false))).toBe("published");
    expect(versionStatus(view, v("v1", true))).toBe("superseded");
  });

  it("turns error codes into sentences for the secretary", () => {
    const err = (code: string) => ({ code, message: "x", attemptsLeft: null, retryAfterSecs: null });
    expect(secretaryErrorKey(err("offline"))).toBe("sec.error.offline");
    expect(secretaryErrorKey(err("not_pdf"))).toBe("error.not_pdf");
    // The server's reason for refusing a classified document is said as such.
    expect(secretaryErrorKey({ ...err("conflict"), message: "… an isolated-network deployment …" })).toBe("policy.notIsolated");
    expect(secretaryErrorKey(err("conflict"))).toBe("sec.error.conflict");
    // The server refusing a PDF members could not open says so, not "refused".
    expect(secretaryErrorKey(err("unreadable_pdf"))).toBe("error.unreadable_pdf");
    expect(secretaryErrorKey(err("forbidden"))).toBe("sec.error.forbidden");
    expect(secretaryErrorKey(err("internal"))).toBe("sec.error.generic");
    // A closed meeting, a deletion refused once the meeting started and a
    // change to something withdrawn are three different sentences.
    const closed = secretaryErrorKey(err("meeting_closed"));
    const notDeletable = secretaryErrorKey(err("not_deletable"));
    const conflict = secretaryErrorKey(err("conflict"));
    expect(new Set([closed, notDeletable, conflict]).size).toBe(3);
    expect(translate("en", notDeletable)).toMatch(/deleted/);
    expect(translate("en", closed)).toMatch(/ended/);
    expect(secretaryErrorKey(new Error("boom"))).toBe("error.generic");
  });
});

describe("withdrawal", () => {
  it("is offered once members have seen the meeting, and never for a draft or a closed one", () => {
    expect(canWithdraw("published")).toBe(true);
    expect(canWithdraw("in_session")).toBe(true);
    expect(canWithdraw("draft")).toBe(false);
    expect(canWithdraw("closed")).toBe(false);
  });

  it("needs a reason of at most 500 characters, kept as typed but trimmed", () => {
    expect(checkReason("  Sở Tài chính xin rút  ")).toEqual({ ok: true, value: "Sở Tài chính xin rút" });
    expect(checkReason("   ")).toEqual({ ok: false, error: "sec.needReason" });
    // Characters, not UTF-16 units or bytes: 500 Vietnamese letters pass.
    expect(checkReason("ệ".repeat(500)).ok).toBe(true);
    expect(checkReason("ệ".repeat(501))).toEqual({ ok: false, error: "sec.reasonTooLong" });
  });
});

describe("the OCR line under a version", () => {
  const layer = (status: string, pagesDone = 0, pagesTotal = 0) => ({
    status,
    pagesDone,
    pagesTotal,
    error: null,
    onDevice: false,
  });

  it("says where the reading of scanned pages stands, and nothing when there is none", () => {
    expect(ocrLine(null)).toBeNull();
    expect(ocrLine(layer("not_needed"))).toBeNull();
    expect(ocrLine(layer("queued"))?.key).toBe("sec.ocr.queued");
    const running = ocrLine(layer("running", 12, 40));
    expect(running).toEqual({ key: "sec.ocr.running", params: { done: 12, total: 40 } });
    expect(translate("vi", running!.key, running!.params)).toBe("Đang nhận dạng chữ: 12/40 trang scan");
    expect(translate("en", running!.key, running!.params)).toBe("Reading the scanned pages: 12 of 40");
    expect(ocrLine(layer("ready", 40, 40))).toEqual({ key: "sec.ocr.ready", params: { total: 40 } });
    expect(ocrLine(layer("failed"))?.key).toBe("sec.ocr.failed");
  });
});
