import { describe, expect, it } from "vitest";
import type { SignaturesView, SignatureView } from "./bindings";
import { translate, type Lang } from "./i18n";
import {
  distinctNames,
  signatureBadge,
  signatureLines,
  signatureTone,
  signerNames,
  uploadCheckLine,
  warningKey,
  type Line,
} from "./signatures";

const VN = "Asia/Ho_Chi_Minh";
const ORG = "Ủy ban nhân dân tỉnh Thử nghiệm";
// 3 March 2026, 01:05 UTC: 08:05 in Hà Nội.
const SIGNED = Date.UTC(2026, 2, 3, 1, 5);
const NOT_AFTER = Date.UTC(2028, 11, 31, 16, 59);

/** A signature as the Rust side reports a good one; each test spoils it its way. */
const sig = (over: Partial<SignatureView> = {}): SignatureView => ({
  signer: "Nguyễn Văn An",
  organisation: ORG,
  issuer: "E-Cabinet Test Intermediate CA",
  signedAt: SIGNED,
  integrity: "intact",
  unsignedChangesAfter: false,
  coversWholeFile: true,
  trust: "trusted",
  validity: "valid",
  notAfter: NOT_AFTER,
  revocation: "unknown",
  problem: null,
  ...over,
});

const view = (verdict: string, signatures: SignatureView[], rootsKnown = true): SignaturesView => ({
  verdict,
  signatures,
  rootsKnown,
});

const badgeText = (v: SignaturesView, l: Lang) => {
  const b = signatureBadge(v);
  return translate(l, b.key, b.params);
};

const say = (lines: Line[], l: Lang) => lines.map((x) => translate(l, x.key, x.params));

// What the badge's signers and the secretary's upload line share: how a
// name is cleaned and counted once. Tested here, once.
describe("distinct names", () => {
  it("keep each name once, in the order first seen, whatever its spelling of the marks or its spaces", () => {
    const an = "Nguyễn Văn An";
    expect(an.normalize("NFD")).not.toBe(an);
    expect(distinctNames(["Trần Thị Bình", an, `  ${an.normalize("NFD")} `, "Trần Thị Bình"])).toEqual(["Trần Thị Bình", an]);
  });

  it("drop blanks and missing names", () => {
    expect(distinctNames(["", "  ", null, undefined, "Lê Văn Cường"])).toEqual(["Lê Văn Cường"]);
    expect(distinctNames([])).toEqual([]);
  });
});

describe("the signature badge", () => {
  it("shows nothing for an unsigned document", () => {
    expect(signatureBadge(view("unsigned", [])).tone).toBe("none");
  });

  it("is green with the signer's Vietnamese name for a valid signature", () => {
    const v = view("valid", [sig()]);
    expect(signatureBadge(v).tone).toBe("green");
    expect(badgeText(v, "vi")).toBe(`Đã ký số hợp lệ: Nguyễn Văn An (${ORG})`);
    expect(badgeText(v, "en")).toBe(`Validly signed: Nguyễn Văn An (${ORG})`);
  });

  it("names every signer of a multi-signature document once, in file order", () => {
    const v = view("valid", [
      sig({ signer: "Trần Thị Bình" }),
      sig(),
      // The same person again, their marks spelled decomposed by another CA.
      sig({ signer: "Nguyễn Văn An".normalize("NFD") }),
    ]);
    expect(signerNames(v.signatures)).toEqual([`Trần Thị Bình (${ORG})`, `Nguyễn Văn An (${ORG})`]);
    expect(badgeText(v, "vi")).toBe(`Đã ký số hợp lệ: Trần Thị Bình (${ORG}), Nguyễn Văn An (${ORG})`);
  });

  it("falls back to the organisation, then to no name, when a certificate names no person", () => {
    expect(signerNames([sig({ signer: null }), sig({ signer: null, organisation: null })])).toEqual([ORG]);
    expect(badgeText(view("valid", [sig({ signer: " ", organisation: null })]), "vi")).toBe("Đã ký số hợp lệ");
  });

  it("is red and says the document changed when a signed part was modified", () => {
    const v = view("broken", [sig({ integrity: "modified", problem: "the signed bytes do not match the digest" })]);
    const b = signatureBadge(v);
    expect(b.tone).toBe("red");
    expect(translate("vi", b.label)).toBe("Chữ ký số không hợp lệ");
    expect(badgeText(v, "vi")).toBe("Chữ ký số không hợp lệ: tài liệu đã bị thay đổi sau khi ký");
    expect(badgeText(v, "en")).toBe("Signature broken: the document was changed after signing");
  });

  it("says the signature itself is damaged when it does not verify with its certificate", () => {
    const v = view("broken", [sig({ integrity: "broken" })]);
    expect(signatureBadge(v).tone).toBe("red");
    expect(badgeText(v, "vi")).toContain("chữ ký bị hỏng");
    expect(badgeText(v, "en")).toContain("not made with the signer's certificate");
  });

  it("is red when one signature of several is broken, naming the change before the damage", () => {
    const oneModified = view("broken", [sig({ signer: "Trần Thị Bình" }), sig({ integrity: "modified" })]);
    expect(signatureBadge(oneModified).key).toBe("sig.broken.modified");
    const oneDamaged = view("broken", [sig(), sig({ integrity: "broken" })]);
    expect(signatureBadge(oneDamaged).key).toBe("sig.broken.damaged");
    const both = view("broken", [sig({ integrity: "broken" }), sig({ integrity: "modified" })]);
    expect(signatureBadge(both).key).toBe("sig.broken.modified");
  });

  it("says the administrator installed no root yet when nothing is trusted on this deployment", () => {
    const v = view("warning", [sig({ trust: "untrusted" })], false);
    expect(signatureBadge(v).tone).toBe("amber");
    expect(badgeText(v, "vi")).toContain("quản trị viên chưa cài đặt chứng thư số gốc tin cậy");
    expect(badgeText(v, "en")).toContain("administrator has not installed any trusted root");
    // With roots installed, the signer's CA is simply not one of them.
    const known = view("warning", [sig({ trust: "untrusted" })], true);
    expect(badgeText(known, "vi")).toContain("không thuộc chứng thư số gốc tin cậy nào");
    expect(badgeText(known, "vi")).not.toContain("quản trị viên");
  });

  it("gives the first reason of a warning: untrusted, then expired, then changes after, then the algorithm", () => {
    const expired = sig({ validity: "expired" });
    const appended = sig({ unsignedChangesAfter: true });
    const weak = sig({ integrity: "unverifiable", problem: "uses SHA-1, which is too weak to rely on" });
    const untrusted = sig({ trust: "untrusted" });
    expect(warningKey(view("warning", [weak, appended, expired, untrusted]))).toBe("sig.warn.untrusted");
    expect(warningKey(view("warning", [weak, appended, expired]))).toBe("sig.warn.expired");
    expect(warningKey(view("warning", [weak, appended]))).toBe("sig.warn.changedAfter");
    expect(warningKey(view("warning", [weak]))).toBe("sig.warn.unverifiable");
    expect(warningKey(view("warning", [sig({ validity: "not_yet_valid" })]))).toBe("sig.warn.notYetValid");
    expect(badgeText(view("warning", [expired]), "vi")).toContain("đã hết hiệu lực");
    expect(badgeText(view("warning", [appended]), "en")).toContain("added to the document after signing");
  });

  it("is never green for a verdict it does not know", () => {
    const b = signatureBadge(view("revoked", [sig()]));
    expect(b.tone).toBe("amber");
    expect(translate("en", b.key)).toContain("see the details");
  });
});

describe("one signature's details", () => {
  it("say who signed, for whom, when (in Vietnam time), and that it is intact, trusted and valid", () => {
    const lines = signatureLines(sig(), true, "vi", VN);
    const text = say(lines, "vi");
    expect(text[0]).toBe(`Người ký: Nguyễn Văn An — ${ORG}`);
    expect(text).toContain("Chứng thư số do E-Cabinet Test Intermediate CA cấp");
    expect(text.find((x) => x.startsWith("Thời điểm ký"))).toContain("08:05 03/03/2026");
    expect(text).toContain("Nội dung đã ký không bị thay đổi");
    expect(text).toContain("Chứng thư số thuộc chứng thư số gốc tin cậy");
    expect(text.find((x) => x.startsWith("Chứng thư số còn hiệu lực đến"))).toContain("31/12/2028");
    expect(lines.filter((x) => x.tone === "warn" || x.tone === "bad")).toEqual([]);
    expect(signatureTone(sig())).toBe("green");
  });

  it("end by saying revocation is not known when the device has no current list of the CA, in both languages", () => {
    for (const s of [sig(), sig({ integrity: "modified" }), sig({ trust: "untrusted", validity: "expired" })]) {
      expect(say(signatureLines(s, true, "vi", VN), "vi").at(-1)).toContain("chưa biết");
      expect(say(signatureLines(s, true, "en", VN), "en").at(-1)).toBe(
        "Revocation: not known (this device has no current revocation list of the CA)",
      );
    }
  });

  it("say a certificate the CA's list does not name as not revoked, and a revoked one in red on a red badge", () => {
    const good = signatureLines(sig({ revocation: "good" }), true, "en", VN);
    expect(good.at(-1)).toEqual({ key: "sig.notRevoked", params: {}, tone: "ok" });
    expect(say(good, "vi").at(-1)).toBe("Chứng thư số chưa bị thu hồi (theo danh sách thu hồi hiện hành của tổ chức cấp)");

    const s = sig({ signer: "Hoàng Văn Thu", revocation: "revoked", problem: "the signer's certificate was revoked by its CA on 2026-12-04 16:24 (UTC)" });
    const lines = signatureLines(s, true, "en", VN);
    expect(lines.filter((x) => x.tone === "bad").map((x) => translate("en", x.key))).toEqual(["The certificate was revoked by its CA"]);
    expect(say(lines, "en").at(-1)).toContain("revoked by its CA on 2026-12-04");
    expect(signatureTone(s)).toBe("red");
    // Intact and trusted, yet never green: the document's badge is red and says why.
    const v = view("broken", [s]);
    expect(signatureBadge(v).tone).toBe("red");
    expect(badgeText(v, "vi")).toBe("Chữ ký số không hợp lệ: chứng thư số của người ký đã bị tổ chức cấp thu hồi");
    expect(badgeText(v, "en")).toBe("Signature broken: the signer's certificate was revoked by its CA");
    // A changed document still says that first.
    expect(signatureBadge(view("broken", [s, sig({ integrity: "modified" })])).key).toBe("sig.broken.modified");
  });

  it("say a modified document in red, once, with the verifier's detail after the revocation line", () => {
    const s = sig({ integrity: "modified", unsignedChangesAfter: true, problem: "the signed bytes do not match the digest" });
    const lines = signatureLines(s, true, "en", VN);
    expect(lines.filter((x) => x.tone === "bad").map((x) => translate("en", x.key))).toEqual([
      "The document was changed after signing",
    ]);
    expect(lines.some((x) => x.key === "sig.changedAfter")).toBe(false);
    expect(say(lines, "en").at(-1)).toBe("Technical detail: the signed bytes do not match the digest");
    expect(signatureTone(s)).toBe("red");
    expect(signatureTone(sig({ integrity: "broken" }))).toBe("red");
  });

  it("warn of an unsigned addition after an intact signature", () => {
    const s = sig({ unsignedChangesAfter: true });
    const text = say(signatureLines(s, true, "vi", VN), "vi");
    expect(text).toContain("Nội dung đã ký không bị thay đổi");
    expect(text).toContain("Có phần được thêm vào tài liệu sau chữ ký này mà không được ký");
    expect(signatureTone(s)).toBe("amber");
  });

  it("say why trust is missing: no root installed at all, or not one of them", () => {
    const s = sig({ trust: "untrusted" });
    expect(say(signatureLines(s, false, "vi", VN), "vi")).toContain(
      "Chưa xác minh được nguồn gốc chứng thư số: quản trị viên chưa cài đặt chứng thư số gốc tin cậy",
    );
    expect(say(signatureLines(s, true, "en", VN), "en")).toContain("The certificate does not come from any installed trusted root");
    expect(signatureTone(s)).toBe("amber");
  });

  it("say an expired certificate and when the signer's ended", () => {
    const s = sig({ validity: "expired", notAfter: Date.UTC(2025, 0, 1, 12, 0) });
    const text = say(signatureLines(s, true, "vi", VN), "vi");
    expect(text).toContain("Chứng thư số (hoặc chứng thư cấp trên) hiện đã hết hiệu lực");
    expect(text.find((x) => x.startsWith("Hạn của chứng thư số"))).toContain("19:00 01/01/2025");
    expect(text.some((x) => x.startsWith("Chứng thư số còn hiệu lực"))).toBe(false);
    expect(signatureTone(s)).toBe("amber");
  });

  it("cope with a certificate that names nobody and a signature without a time", () => {
    const s = sig({ signer: null, organisation: null, issuer: null, signedAt: null, notAfter: null, integrity: "unverifiable" });
    const text = say(signatureLines(s, true, "en"), "en");
    expect(text[0]).toBe("The signer's name cannot be read from the certificate");
    expect(text).toContain("The signature states no signing time");
    expect(text).toContain("The certificate is valid now");
    expect(text.some((x) => x.startsWith("Certificate issued by"))).toBe(false);
    expect(text.some((x) => x.includes("too weak or not supported"))).toBe(true);
    const org = say(signatureLines(sig({ signer: null }), true, "vi", VN), "vi");
    expect(org[0]).toBe(`Người ký thuộc ${ORG} (chứng thư số không ghi tên người)`);
  });

  it("fill every placeholder, in both languages, whatever the signature", () => {
    const cases = [
      sig(),
      sig({ signer: null }),
      sig({ signer: null, organisation: null, signedAt: null, issuer: null }),
      sig({ integrity: "broken", problem: "the signature does not match its signer's key" }),
      sig({ validity: "not_yet_valid" }),
      sig({ validity: "expired", notAfter: null, trust: "untrusted" }),
    ];
    for (const s of cases) {
      for (const l of ["vi", "en"] as const) {
        for (const text of say(signatureLines(s, false, l, VN), l)) expect(text).not.toMatch(/\{\w+\}/);
      }
    }
  });
});

describe("the server's check at upload, for the secretary", () => {
  it("says nothing of an unsigned or unchecked version", () => {
    expect(uploadCheckLine(null)).toBeNull();
    expect(uploadCheckLine({ verdict: "unsigned", signers: [], problem: null })).toBeNull();
  });

  it("names each signer once, and keeps the server's reason for the tooltip", () => {
    const valid = uploadCheckLine({ verdict: "valid", signers: ["Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Văn An"], problem: null });
    expect(valid).toMatchObject({ tone: "green", key: "sig.upload.valid", params: { names: "Nguyễn Văn An, Trần Thị Bình" } });
    const warn = uploadCheckLine({ verdict: "warning", signers: ["Phạm Văn Lạ"], problem: "the certificate chains to “Untrusted Root”" });
    expect(warn).toMatchObject({ tone: "amber", params: { names: "Phạm Văn Lạ" }, detail: "the certificate chains to “Untrusted Root”" });
    const broken = uploadCheckLine({ verdict: "broken", signers: ["Nguyễn Văn An"], problem: "the document was changed after it was signed" });
    expect(broken?.tone).toBe("red");
    expect(translate("vi", broken!.key)).toContain("không hợp lệ");
    expect(translate("en", broken!.key)).toContain("signature broken");
  });

  it("never shows an unknown verdict as valid", () => {
    expect(uploadCheckLine({ verdict: "something-new", signers: [""], problem: null })).toMatchObject({ tone: "amber", params: { names: "?" } });
  });
});

describe("a signature over an earlier revision", () => {
  it("says the changes since were signed by a later signer", () => {
    const lines = signatureLines(sig({ coversWholeFile: false }), true, "vi", "Asia/Ho_Chi_Minh");
    expect(lines.map((l) => l.key)).toContain("sig.earlierRevision");
    const unsigned = signatureLines(sig({ coversWholeFile: false, unsignedChangesAfter: true }), true, "vi", "Asia/Ho_Chi_Minh");
    expect(unsigned.map((l) => l.key)).toContain("sig.changedAfter");
    expect(unsigned.map((l) => l.key)).not.toContain("sig.earlierRevision");
  });
});
