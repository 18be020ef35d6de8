import { describe, expect, it } from "vitest";
import type { AdminDeviceView, AdminDirectoryView, AdminUserView } from "./bindings";
import {
  adminErrorKey,
  canDisable,
  canRevoke,
  certificateFileText,
  checkCommitteeName,
  checkDisplayName,
  checkNewUser,
  checkPassword,
  checkRootsPem,
  checkSigningCertificateFile,
  checkSigningCertificatePem,
  checkUsername,
  checkValidMinutes,
  committeeMembers,
  deviceState,
  deviceStateKey,
  groupUsers,
  isOffline,
  lastSeenText,
  matchesQuery,
  memberCounts,
  membershipsOf,
  roleKey,
  rootExpired,
  rootsRefusalDetail,
  shortFingerprint,
  sortCommittees,
} from "./admin";
import { LANGS, messages, translate, type MessageKey } from "./i18n";

const err = (code: string) => ({ code, message: "x", attemptsLeft: null, retryAfterSecs: null });

const user = (
  username: string,
  displayName: string,
  more: Partial<AdminUserView> = {},
): AdminUserView => ({
  id: `id-${username}`,
  username,
  displayName,
  isAdmin: false,
  disabled: false,
  memberships: [],
  devices: [],
  signingCertificates: [],
  ...more,
});

const device = (more: Partial<AdminDeviceView> = {}): AdminDeviceView => ({
  id: "d1",
  name: "Laptop phòng họp",
  enrolledAt: 0,
  lastSeenAt: null,
  revoked: false,
  thisDevice: false,
  ...more,
});

const UB = { id: "c-ub", name: "UBND tỉnh Thái Bình", readStatus: true, commentsShared: false, speakingLimitMs: null };
const TC = { id: "c-tc", name: "Ban Tài chính", readStatus: false, commentsShared: true, speakingLimitMs: 180000 };

const dir: AdminDirectoryView = {
  me: "id-admin",
  committees: [UB, TC],
  users: [
    user("admin", "Quản trị hệ thống", { isAdmin: true }),
    user("tt.mai", "Trần Thị Mai", { memberships: [{ committeeId: "c-ub", role: "secretary" }] }),
    user("nv.hung", "Nguyễn Văn Hùng", {
      memberships: [
        { committeeId: "c-ub", role: "chair" },
        { committeeId: "c-tc", role: "member" },
      ],
    }),
    user("lm.tuan", "Lê Minh Tuấn", { memberships: [{ committeeId: "c-ub", role: "member" }] }),
    user("dq.bao", "Đặng Quốc Bảo", { memberships: [{ committeeId: "c-ub", role: "member" }] }),
    user("nt.anh", "Nguyễn Thị Anh"),
    user("bt.thu", "Bùi Thị Thu", { disabled: true }),
  ],
};

describe("new user form", () => {
  it("stores the user name trimmed and in lower case", () => {
    expect(checkUsername("  NV.Hung ")).toEqual({ ok: true, value: "nv.hung" });
    expect(checkUsername("pham_thi-huong2")).toEqual({ ok: true, value: "pham_thi-huong2" });
  });

  it("refuses an empty user name, a too short or too long one, and other characters", () => {
    expect(checkUsername("   ")).toEqual({ ok: false, error: "admin.needUsername" });
    for (const bad of ["ab", "a".repeat(65), "hùng", "nv hung", "nv@hung", "đức"]) {
      expect(checkUsername(bad), bad).toEqual({ ok: false, error: "admin.badUsername" });
    }
    expect(checkUsername("abc").ok).toBe(true);
    expect(checkUsername("a".repeat(64)).ok).toBe(true);
  });

  it("takes a full name of 1 to 200 characters, Vietnamese letters counted as one", () => {
    expect(checkDisplayName("  Nguyễn Văn Hùng ")).toEqual({ ok: true, value: "Nguyễn Văn Hùng" });
    expect(checkDisplayName(" ")).toEqual({ ok: false, error: "admin.needDisplayName" });
    // 200 letters with tone marks (one character each when composed) pass; 201 do not.
    expect(checkDisplayName("ệ".repeat(200)).ok).toBe(true);
    expect(checkDisplayName("ệ".repeat(201))).toEqual({ ok: false, error: "admin.displayNameTooLong" });
  });

  it("wants a password of at least 8 characters typed the same twice, kept as typed", () => {
    expect(checkPassword("1234567", "1234567")).toEqual({ ok: false, error: "admin.passwordShort" });
    expect(checkPassword("mật khẩu", "mật khẩu")).toEqual({ ok: true, value: "mật khẩu" });
    expect(checkPassword("12345678", "12345679")).toEqual({ ok: false, error: "admin.passwordMismatch" });
    expect(checkPassword(" secret-1 ", " secret-1 ")).toEqual({ ok: true, value: " secret-1 " });
  });

  it("checks the whole form in the order it is filled in", () => {
    const good = { username: " Le.Lan ", displayName: " Lê Thị Lan ", password: "An-toan-2026", passwordAgain: "An-toan-2026", isAdmin: true };
    expect(checkNewUser(good)).toEqual({
      ok: true,
      value: { username: "le.lan", displayName: "Lê Thị Lan", password: "An-toan-2026", isAdmin: true },
    });
    expect(checkNewUser({ ...good, username: "", displayName: "" })).toEqual({ ok: false, error: "admin.needUsername" });
    expect(checkNewUser({ ...good, displayName: "", password: "" })).toEqual({ ok: false, error: "admin.needDisplayName" });
    expect(checkNewUser({ ...good, passwordAgain: "khac" })).toEqual({ ok: false, error: "admin.passwordMismatch" });
  });
});

describe("committee and enrol code forms", () => {
  it("takes a committee name of 1 to 200 characters, trimmed", () => {
    expect(checkCommitteeName("  Ban Pháp chế ")).toEqual({ ok: true, value: "Ban Pháp chế" });
    expect(checkCommitteeName("")).toEqual({ ok: false, error: "admin.needCommitteeName" });
    expect(checkCommitteeName("Ủ".repeat(201))).toEqual({ ok: false, error: "admin.committeeNameTooLong" });
    expect(checkCommitteeName("Ủ".repeat(200)).ok).toBe(true);
  });

  it("takes a whole number of minutes from 1 to 1440", () => {
    expect(checkValidMinutes(1)).toEqual({ ok: true, value: 1 });
    expect(checkValidMinutes(1440)).toEqual({ ok: true, value: 1440 });
    expect(checkValidMinutes(" 60 ")).toEqual({ ok: true, value: 60 });
    for (const bad of [0, 1441, 1.5, -5, null, undefined, NaN, "", "1e3", "60 phút"]) {
      expect(checkValidMinutes(bad), String(bad)).toEqual({ ok: false, error: "admin.badMinutes" });
    }
  });
});

describe("errors", () => {
  it("says clearly that the server is out of reach", () => {
    expect(adminErrorKey(err("offline"))).toBe("admin.error.offline");
    expect(isOffline(err("offline"))).toBe(true);
    expect(isOffline(err("forbidden"))).toBe(false);
    expect(isOffline(new Error("offline"))).toBe(false);
  });

  it("names a conflict by what the action meant, else the general sentence", () => {
    expect(adminErrorKey(err("conflict"), "admin.error.usernameTaken")).toBe("admin.error.usernameTaken");
    expect(adminErrorKey(err("conflict"))).toBe("admin.error.conflict");
    // The conflict meaning applies to conflicts only.
    expect(adminErrorKey(err("forbidden"), "admin.error.usernameTaken")).toBe("admin.error.forbidden");
  });

  it("maps the server's refusals, and anything unknown to a general sentence", () => {
    expect(adminErrorKey(err("invalid_input"))).toBe("admin.error.invalid");
    expect(adminErrorKey(err("not_found"))).toBe("admin.error.notFound");
    expect(adminErrorKey(err("session_expired"))).toBe("error.session_expired");
    expect(adminErrorKey(err("server_error"))).toBe("admin.error.server");
    expect(adminErrorKey(err("pdfium_unavailable"))).toBe("admin.error.generic");
    expect(adminErrorKey("boom")).toBe("error.generic");
  });
});

describe("users list", () => {
  it("lists accounts in use by given name, then the disabled ones", () => {
    const g = groupUsers(dir.users);
    expect(g.active.map((u) => u.username)).toEqual(["nt.anh", "dq.bao", "nv.hung", "tt.mai", "admin", "lm.tuan"]);
    expect(g.disabled.map((u) => u.username)).toEqual(["bt.thu"]);
  });

  it("orders the same given name by the whole name", () => {
    const users = [user("b", "Trần Văn An"), user("a", "Lê Thị An"), user("c", "Phạm Bình")];
    expect(groupUsers(users).active.map((u) => u.displayName)).toEqual(["Lê Thị An", "Trần Văn An", "Phạm Bình"]);
  });

  it("finds users without typing the Vietnamese marks", () => {
    expect(groupUsers(dir.users, "hung").active.map((u) => u.username)).toEqual(["nv.hung"]);
    expect(groupUsers(dir.users, "dang bao").active.map((u) => u.username)).toEqual(["dq.bao"]);
    expect(groupUsers(dir.users, "THU").disabled.map((u) => u.username)).toEqual(["bt.thu"]);
    expect(matchesQuery(dir.users[1], "tt.mai")).toBe(true);
    expect(matchesQuery(dir.users[1], "mai hùng")).toBe(false);
    expect(groupUsers(dir.users, "  ").active).toHaveLength(6);
  });

  it("never offers disabling one's own account", () => {
    expect(canDisable(dir.users[0], dir.me)).toBe(false);
    expect(canDisable(dir.users[1], dir.me)).toBe(true);
  });
});

describe("committee members", () => {
  it("lists the chair, then secretaries, then members, with their roles", () => {
    const { members } = committeeMembers(dir, "c-ub");
    expect(members.map((m) => [m.user.username, m.role])).toEqual([
      ["nv.hung", "chair"],
      ["tt.mai", "secretary"],
      ["dq.bao", "member"],
      ["lm.tuan", "member"],
    ]);
    expect(committeeMembers(dir, "c-tc").members.map((m) => [m.user.username, m.role])).toEqual([["nv.hung", "member"]]);
  });

  it("offers to add only users not in the committee and not disabled", () => {
    expect(committeeMembers(dir, "c-ub").candidates.map((u) => u.username)).toEqual(["nt.anh", "admin"]);
    expect(committeeMembers(dir, "c-tc").candidates.map((u) => u.username)).toEqual([
      "nt.anh",
      "dq.bao",
      "tt.mai",
      "admin",
      "lm.tuan",
    ]);
  });

  it("lists committees by name and counts their members, disabled accounts included", () => {
    expect(sortCommittees(dir.committees).map((c) => c.name)).toEqual(["Ban Tài chính", "UBND tỉnh Thái Bình"]);
    const withDisabled = { ...dir, users: [...dir.users, user("x", "Hồ Văn X", { disabled: true, memberships: [{ committeeId: "c-tc", role: "member" }] })] };
    const counts = memberCounts(withDisabled);
    expect(counts.get("c-ub")).toBe(4);
    expect(counts.get("c-tc")).toBe(2);
    expect(memberCounts({ ...dir, committees: [...dir.committees, { id: "c-new", name: "Mới", readStatus: false, commentsShared: false, speakingLimitMs: null }] }).get("c-new")).toBe(0);
  });

  it("shows a user's committees by name with the role in each", () => {
    const hung = dir.users.find((u) => u.username === "nv.hung")!;
    expect(membershipsOf(hung, dir.committees).map((m) => [m.committee.name, m.role])).toEqual([
      ["Ban Tài chính", "member"],
      ["UBND tỉnh Thái Bình", "chair"],
    ]);
    // A committee the list does not hold (deleted meanwhile) is left out.
    const stale = user("x", "X", { memberships: [{ committeeId: "gone", role: "member" }] });
    expect(membershipsOf(stale, dir.committees)).toEqual([]);
  });

  it("labels roles in Vietnamese, an unknown one as such", () => {
    expect(translate("vi", roleKey("chair"))).toBe("Chủ tọa");
    expect(translate("vi", roleKey("secretary"))).toBe("Thư ký");
    expect(translate("vi", roleKey("member"))).toBe("Thành viên");
    expect(roleKey("observer")).toBe("admin.role.unknown");
  });
});

describe("devices", () => {
  it("marks this device and revoked ones, and offers revoking only the others still in use", () => {
    expect(deviceState(device())).toBe("active");
    expect(deviceState(device({ thisDevice: true }))).toBe("this");
    expect(deviceState(device({ revoked: true, thisDevice: true }))).toBe("revoked");
    expect(canRevoke(device())).toBe(true);
    expect(canRevoke(device({ thisDevice: true }))).toBe(false);
    expect(canRevoke(device({ revoked: true }))).toBe(false);
    expect(translate("vi", deviceStateKey("this"))).toBe("Thiết bị này");
    expect(translate("vi", deviceStateKey("revoked"))).toBe("Đã thu hồi");
  });

  it("says when a device last contacted the server", () => {
    const now = Date.UTC(2026, 10, 20, 9, 0);
    const at = (ms: number) => lastSeenText(now - ms, now, "vi");
    expect(lastSeenText(null, now, "vi")).toEqual({ key: "admin.seen.never", params: {} });
    expect(at(59_000)).toEqual({ key: "admin.seen.justNow", params: {} });
    // A device clock a little ahead is "just now", not "-1 minutes ago".
    expect(at(-30_000)).toEqual({ key: "admin.seen.justNow", params: {} });
    expect(at(60_000)).toEqual({ key: "admin.seen.minutes", params: { n: 1 } });
    expect(at(59 * 60_000 + 59_000)).toEqual({ key: "admin.seen.minutes", params: { n: 59 } });
    expect(at(3 * 3_600_000 + 10 * 60_000)).toEqual({ key: "admin.seen.hours", params: { n: 3 } });
    expect(at(2 * 86_400_000 + 5 * 3_600_000)).toEqual({ key: "admin.seen.days", params: { n: 2 } });
    expect(at(29 * 86_400_000)).toEqual({ key: "admin.seen.days", params: { n: 29 } });
  });

  it("gives the date and time of a contact long ago, in the UI language", () => {
    const now = Date.UTC(2026, 10, 20, 9, 0);
    const then = Date.UTC(2026, 8, 1, 7, 5);
    const vi = lastSeenText(then, now, "vi", "UTC");
    expect(vi.key).toBe("admin.seen.on");
    const viText = translate("vi", vi.key, vi.params);
    expect(viText).toContain("01/09/2026");
    expect(viText).toContain("07:05");
    // Vietnamese puts the time first; English the date.
    expect(viText.indexOf("07:05")).toBeLessThan(viText.indexOf("01/09/2026"));
    const en = lastSeenText(then, now, "en", "UTC");
    const enText = translate("en", en.key, en.params);
    expect(enText.indexOf("01/09/2026")).toBeLessThan(enText.indexOf("07:05"));
  });

  it("reads well in both languages", () => {
    const now = 10 * 3_600_000;
    const h = lastSeenText(now - 2 * 3_600_000, now, "vi");
    expect(translate("vi", h.key, h.params)).toBe("2 giờ trước");
    expect(translate("en", h.key, h.params)).toBe("2 hours ago");
  });
});

describe("trusted root certificates", () => {
  const SHA = "3fa29c017be45510aa55aa55aa55aa55aa55aa55aa55aa55aa55aa559a0bccd2";
  // The shape of a DER certificate: SEQUENCE (long length) { SEQUENCE (the signed part) … }.
  const der = Uint8Array.from([0x30, 0x82, 0x01, 0x0a, 0x30, 0x81, 0xf0, ...Array.from({ length: 70 }, (_, i) => i)]);
  const pemBlock = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;

  it("shortens a fingerprint to its first and last four bytes, upper case", () => {
    expect(shortFingerprint(SHA)).toBe("3F:A2:9C:01…9A:0B:CC:D2");
    expect(shortFingerprint("ab:cd")).toBe("AB:CD");
  });

  it("tells an expired root", () => {
    expect(rootExpired(1_000, 2_000)).toBe(true);
    expect(rootExpired(3_000, 2_000)).toBe(false);
  });

  it("sends PEM certificates, or nothing to trust none, and never a private key", () => {
    expect(checkRootsPem(" \n\t")).toEqual({ ok: true, value: "" });
    const two = pemBlock("MIIB") + pemBlock("MIIC");
    expect(checkRootsPem(two)).toEqual({ ok: true, value: two });
    expect(checkRootsPem("Chứng thư số gốc của Bộ")).toEqual({ ok: false, error: "roots.notPem" });
    const withKey = pemBlock("MIIB") + "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
    expect(checkRootsPem(withKey)).toEqual({ ok: false, error: "roots.privateKey" });
    expect(checkRootsPem("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n")).toEqual({ ok: false, error: "roots.privateKey" });
    expect(translate("vi", "roots.privateKey")).toContain("khóa bí mật");
  });

  it("reads a certificate file: PEM as it is, DER wrapped as PEM with the same bytes", () => {
    const pem = pemBlock("MIIBCgKCAQEA");
    expect(certificateFileText(new TextEncoder().encode(pem))).toBe(pem);
    expect(certificateFileText(new TextEncoder().encode(pem.trimEnd()))).toBe(pem);
    const wrapped = certificateFileText(der);
    expect(wrapped).not.toBeNull();
    const lines = wrapped!.trimEnd().split("\n");
    expect(lines[0]).toBe("-----BEGIN CERTIFICATE-----");
    expect(lines.at(-1)).toBe("-----END CERTIFICATE-----");
    expect(lines.slice(1, -1).every((l) => l.length <= 64)).toBe(true);
    const back = Uint8Array.from(atob(lines.slice(1, -1).join("")), (c) => c.charCodeAt(0));
    expect(back).toEqual(der);
    expect(checkRootsPem(wrapped!).ok).toBe(true);
  });

  it("reads a DER revocation list (.crl) as an X509 CRL block, told from a certificate by its version", () => {
    // SEQUENCE { SEQUENCE { INTEGER 1, SEQUENCE { … } … } … }: a v2 CRL.
    const crl = Uint8Array.from([0x30, 0x0a, 0x30, 0x08, 0x02, 0x01, 0x01, 0x30, 0x03, 0x06, 0x01, 0x2a, 0x03, 0x00]);
    const text = certificateFileText(crl)!;
    expect(text.split("\n")[0]).toBe("-----BEGIN X509 CRL-----");
    expect(text.trimEnd().split("\n").at(-1)).toBe("-----END X509 CRL-----");
    // SEQUENCE { SEQUENCE { [0] { INTEGER 2 }, … } … }: a v3 certificate.
    const cert = Uint8Array.from([0x30, 0x09, 0x30, 0x07, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x00]);
    expect(certificateFileText(cert)!.split("\n")[0]).toBe("-----BEGIN CERTIFICATE-----");
    // A list alone is no root: the roots must still be there.
    expect(checkRootsPem(text)).toEqual({ ok: false, error: "roots.notPem" });
    expect(checkRootsPem(pemBlock("MIIB") + text).ok).toBe(true);
  });

  it("refuses a file that is no certificate, a DER private key included", () => {
    // PKCS#8: SEQUENCE { INTEGER 0, … }.
    expect(certificateFileText(Uint8Array.from([0x30, 0x82, 0x04, 0xbe, 0x02, 0x01, 0x00, 0x30]))).toBeNull();
    expect(certificateFileText(new TextEncoder().encode("Tờ trình số 12/TTr-UBND"))).toBeNull();
    expect(certificateFileText(new Uint8Array())).toBeNull();
  });

  it("keeps the server's reason for a refused list, and only for that", () => {
    const reason = "a trusted root is not a certificate E-Cabinet can read: certificate 2: malformed: bad length";
    // As the app passes the server's refusal on, and as a bare reason.
    expect(rootsRefusalDetail({ ...err("invalid_input"), message: `server refused (400): InvalidInput: ${reason}` })).toBe(reason);
    expect(rootsRefusalDetail({ ...err("invalid_input"), message: reason })).toBe(reason);
    expect(rootsRefusalDetail({ ...err("invalid_input"), message: " " })).toBeNull();
    expect(rootsRefusalDetail(err("offline"))).toBeNull();
    expect(rootsRefusalDetail(new Error("x"))).toBeNull();
  });
});

describe("signing certificates", () => {
  const block = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
  const cert = block("CERTIFICATE", "MIIDdzCCAl+gAwIBAgIUQ2V");
  // A DER certificate as a file reads: SEQUENCE (long length) { SEQUENCE … }.
  const der = Uint8Array.from([0x30, 0x82, 0x03, 0x77, 0x30, 0x82, 0x02, 0x5f, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x43]);

  it("takes exactly one PEM certificate, trimmed, with CRLF line ends too", () => {
    expect(checkSigningCertificatePem(cert)).toEqual({ ok: true, value: cert });
    expect(checkSigningCertificatePem(`\n  ${cert}\n\n`)).toEqual({ ok: true, value: cert });
    const crlf = cert.replace(/\n/g, "\r\n");
    expect(checkSigningCertificatePem(crlf)).toEqual({ ok: true, value: `${crlf.trim()}\n` });
    // Text around the block (as some tools write: the subject, the issuer) is left to the server.
    expect(checkSigningCertificatePem(`subject=CN = Nguyễn Văn An\n${cert}`).ok).toBe(true);
  });

  it("refuses two certificates (a token's and its CA's)", () => {
    expect(checkSigningCertificatePem(cert + cert)).toEqual({ ok: false, error: "signingCert.oneOnly" });
  });

  it("refuses a text without a certificate block, or nothing at all", () => {
    expect(checkSigningCertificatePem(" \n\t")).toEqual({ ok: false, error: "signingCert.needPem" });
    expect(checkSigningCertificatePem("MIIDdzCCAl+gAwIBAgIUQ2V")).toEqual({ ok: false, error: "roots.notPem" });
    expect(checkSigningCertificatePem("Chứng thư số của ông An")).toEqual({ ok: false, error: "roots.notPem" });
  });

  it("refuses a revocation list, alone or beside the certificate", () => {
    const crl = block("X509 CRL", "MIIBpjCBjwIBATANBgkq");
    expect(checkSigningCertificatePem(crl)).toEqual({ ok: false, error: "roots.notPem" });
    expect(checkSigningCertificatePem(cert + crl)).toEqual({ ok: false, error: "signingCert.oneOnly" });
    expect(checkSigningCertificatePem(block("TRUSTED CERTIFICATE", "MIID"))).toEqual({ ok: false, error: "roots.notPem" });
  });

  it("never sends a private key", () => {
    expect(checkSigningCertificatePem(cert + block("PRIVATE KEY", "MIIE"))).toEqual({ ok: false, error: "signingCert.privateKey" });
    expect(checkSigningCertificatePem(block("ENCRYPTED PRIVATE KEY", "MIIF"))).toEqual({ ok: false, error: "signingCert.privateKey" });
  });

  it("refuses binary text and non-certificate files, and takes a DER certificate file as PEM", () => {
    const asText = new TextDecoder().decode(der);
    expect(checkSigningCertificatePem(asText)).toEqual({ ok: false, error: "signingCert.binary" });
    const fromDer = checkSigningCertificateFile(der);
    expect(fromDer.ok && fromDer.value.startsWith("-----BEGIN CERTIFICATE-----\n")).toBe(true);
    expect(checkSigningCertificateFile(new Uint8Array([0x02, 0x01, 0x00, 0xff]))).toEqual({ ok: false, error: "signingCert.binary" });
    // Bytes that decode without a replacement character still hold control characters.
    expect(checkSigningCertificatePem("0\u0003\u0002\u0001\u0002")).toEqual({ ok: false, error: "signingCert.binary" });
    expect(translate("vi", "signingCert.binary")).toContain("PEM");
    expect(translate("en", "signingCert.binary")).toContain("PEM");
  });

  it("reads a PEM file as the pasted text", () => {
    expect(checkSigningCertificateFile(new TextEncoder().encode(cert))).toEqual({ ok: true, value: cert });
    expect(checkSigningCertificateFile(new TextEncoder().encode(cert + cert))).toEqual({ ok: false, error: "signingCert.oneOnly" });
  });

  it("says a conflict as a certificate registered to another user", () => {
    expect(adminErrorKey(err("conflict"), "signingCert.conflict")).toBe("signingCert.conflict");
    expect(translate("en", "signingCert.conflict")).toContain("remove it there first");
  });

  it("has every sentence of the section in both languages", () => {
    const keys = Object.keys(messages.vi).filter((k) => k.startsWith("signingCert.")) as MessageKey[];
    expect(keys.length).toBeGreaterThanOrEqual(18);
    for (const l of LANGS) {
      for (const k of keys) expect(messages[l][k]?.trim(), `${l}: ${k}`).toBeTruthy();
    }
    expect(Object.keys(messages.en).filter((k) => k.startsWith("signingCert.")).sort()).toEqual([...keys].sort());
    expect(translate("vi", "signingCert.heading")).toBe("Chứng thư số ký phiếu");
    expect(translate("en", "signingCert.heading")).toBe("Signing certificates");
    const confirm = { name: "Nguyễn Văn An", fingerprint: "3F:A2:9C:01…9A:0B:CC:D2", user: "Nguyễn Văn An" };
    for (const l of LANGS) expect(translate(l, "signingCert.confirmRemove", confirm)).not.toMatch(/\{\w+\}/);
  });
});
