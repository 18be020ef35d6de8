// The administrator's screens' logic: form checks, the order users are
// listed in, a device's last contact in words, and who is (or could be) a
// member of a committee. Everything here is pure; the screens call the
// server through ipc.ts.
import type {
  AdminCommitteeView,
  AdminDeviceView,
  AdminDirectoryView,
  AdminUserView,
  IpcErrorCode,
} from "./bindings";
import type { Lang, MessageKey, Params } from "./i18n";
import { isIpcError } from "./ipc";
import { formatDateTime } from "./meetings";
import type { FormCheck } from "./secretary";

export type { FormCheck };

/** The roles a committee member can hold, highest first. */
export const ROLES = ["chair", "secretary", "member"] as const;
export type Role = (typeof ROLES)[number];

const charCount = (s: string) => [...s].length;

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 64;
export const DISPLAY_NAME_MAX = 200;
export const COMMITTEE_NAME_MAX = 200;
export const PASSWORD_MIN = 8;
/** An enrol code lives from one minute to one day. */
export const MINUTES_MIN = 1;
export const MINUTES_MAX = 1440;

/** A user name as it is stored: trimmed, lower case. */
export function normalizeUsername(s: string): string {
  return s.trim().toLowerCase();
}

/** 3 to 64 of a-z, 0-9, dot, underscore, hyphen (after trimming and lower-casing). */
export function checkUsername(s: string): FormCheck<string> {
  const u = normalizeUsername(s);
  if (!u) return { ok: false, error: "admin.needUsername" };
  if (!/^[a-z0-9._-]+$/.test(u) || u.length < USERNAME_MIN || u.length > USERNAME_MAX) {
    return { ok: false, error: "admin.badUsername" };
  }
  return { ok: true, value: u };
}

export function checkDisplayName(s: string): FormCheck<string> {
  const n = s.trim();
  if (!n) return { ok: false, error: "admin.needDisplayName" };
  if (charCount(n) > DISPLAY_NAME_MAX) return { ok: false, error: "admin.displayNameTooLong" };
  return { ok: true, value: n };
}

/** At least 8 characters, typed the same twice. Kept as typed: a space
 * at either end is part of the password. */
export function checkPassword(password: string, again: string): FormCheck<string> {
  if (charCount(password) < PASSWORD_MIN) return { ok: false, error: "admin.passwordShort" };
  if (password !== again) return { ok: false, error: "admin.passwordMismatch" };
  return { ok: true, value: password };
}

export function checkCommitteeName(s: string): FormCheck<string> {
  const n = s.trim();
  if (!n) return { ok: false, error: "admin.needCommitteeName" };
  if (charCount(n) > COMMITTEE_NAME_MAX) return { ok: false, error: "admin.committeeNameTooLong" };
  return { ok: true, value: n };
}

/** How long an enrol code stays valid: whole minutes, 1 to 1440. A number
 * input gives a number, or null when empty. */
export function checkValidMinutes(v: number | string | null | undefined): FormCheck<number> {
  const n = typeof v === "string" ? (/^\s*\d+\s*$/.test(v) ? Number(v) : NaN) : v ?? NaN;
  if (!Number.isInteger(n) || n < MINUTES_MIN || n > MINUTES_MAX) return { ok: false, error: "admin.badMinutes" };
  return { ok: true, value: n };
}

export interface NewUserForm {
  username: string;
  displayName: string;
  password: string;
  passwordAgain: string;
  isAdmin: boolean;
}

/** The whole "new user" form, checked in the order it is filled in. */
export function checkNewUser(
  f: NewUserForm,
): FormCheck<{ username: string; displayName: string; password: string; isAdmin: boolean }> {
  const username = checkUsername(f.username);
  if (!username.ok) return username;
  const displayName = checkDisplayName(f.displayName);
  if (!displayName.ok) return displayName;
  const password = checkPassword(f.password, f.passwordAgain);
  if (!password.ok) return password;
  return { ok: true, value: { username: username.value, displayName: displayName.value, password: password.value, isAdmin: f.isAdmin } };
}

const CODES: Partial<Record<IpcErrorCode, MessageKey>> = {
  offline: "admin.error.offline",
  forbidden: "admin.error.forbidden",
  invalid_input: "admin.error.invalid",
  not_found: "admin.error.notFound",
  conflict: "admin.error.conflict",
  server_error: "admin.error.server",
  session_expired: "error.session_expired",
  device_revoked: "error.device_revoked",
  not_unlocked: "error.not_unlocked",
  rate_limited: "error.rate_limited",
};

/** An administrator-facing sentence for a failed action. `conflict` names
 * what a conflict means for this action (a user name already taken, for
 * a new user); without it, the general sentence. */
export function adminErrorKey(e: unknown, conflict?: MessageKey): MessageKey {
  if (!isIpcError(e)) return "error.generic";
  if (e.code === "conflict" && conflict) return conflict;
  return CODES[e.code] ?? "admin.error.generic";
}

/** Whether the failure is the server being out of reach. */
export function isOffline(e: unknown): boolean {
  return isIpcError(e) && e.code === "offline";
}

/** Lower case, without Vietnamese tone and vowel marks: "Đặng" → "dang". */
export function fold(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase();
}

/** Whether every word of the query is in the user name or the display
 * name, marks ignored ("hung" finds "Nguyễn Văn Hùng"). */
export function matchesQuery(u: AdminUserView, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const hay = `${fold(u.displayName)} ${u.username}`;
  return words.every((w) => hay.includes(w));
}

const collator = new Intl.Collator("vi", { sensitivity: "base", numeric: true });

const givenName = (displayName: string) => displayName.trim().split(/\s+/).pop() ?? "";

/** Vietnamese lists of people go by the given name (the last word), then
 * the whole name: "Nguyễn Văn An" before "Trần Thị Bình". */
export function compareUsers(a: AdminUserView, b: AdminUserView): number {
  return (
    collator.compare(givenName(a.displayName), givenName(b.displayName)) ||
    collator.compare(a.displayName, b.displayName) ||
    a.username.localeCompare(b.username)
  );
}

export interface UserGroups {
  active: AdminUserView[];
  /** Disabled accounts, listed after the others. */
  disabled: AdminUserView[];
}

/** The users list: the accounts in use, then the disabled ones, each in
 * name order; only those matching `query` when there is one. */
export function groupUsers(users: readonly AdminUserView[], query = ""): UserGroups {
  const shown = users.filter((u) => matchesQuery(u, query)).sort(compareUsers);
  return { active: shown.filter((u) => !u.disabled), disabled: shown.filter((u) => u.disabled) };
}

/** The label of a role the server sent; an unknown one is said so. */
export function roleKey(role: string): MessageKey {
  switch (role) {
    case "chair":
      return "role.chair";
    case "secretary":
      return "role.secretary";
    case "member":
      return "role.member";
    default:
      return "admin.role.unknown";
  }
}

const roleRank = (role: string) => {
  const i = (ROLES as readonly string[]).indexOf(role);
  return i < 0 ? ROLES.length : i;
};

export interface CommitteeMember {
  user: AdminUserView;
  role: string;
}

/** A committee's members (chair first, then secretaries, then members, each
 * in name order) and the users who could be added: not in it, not disabled. */
export function committeeMembers(
  dir: AdminDirectoryView,
  committeeId: string,
): { members: CommitteeMember[]; candidates: AdminUserView[] } {
  const members: CommitteeMember[] = [];
  const candidates: AdminUserView[] = [];
  for (const user of dir.users) {
    const m = user.memberships.find((x) => x.committeeId === committeeId);
    if (m) members.push({ user, role: m.role });
    else if (!user.disabled) candidates.push(user);
  }
  members.sort((a, b) => roleRank(a.role) - roleRank(b.role) || compareUsers(a.user, b.user));
  candidates.sort(compareUsers);
  return { members, candidates };
}

/** Committees in name order. */
export function sortCommittees(committees: readonly AdminCommitteeView[]): AdminCommitteeView[] {
  return [...committees].sort((a, b) => collator.compare(a.name, b.name) || a.id.localeCompare(b.id));
}

/** How many members each committee has (disabled accounts included: they
 * keep their place until removed). */
export function memberCounts(dir: AdminDirectoryView): Map<string, number> {
  const counts = new Map(dir.committees.map((c) => [c.id, 0]));
  for (const u of dir.users) {
    for (const m of u.memberships) counts.set(m.committeeId, (counts.get(m.committeeId) ?? 0) + 1);
  }
  return counts;
}

/** A user's committees by name, with their role in each. */
export function membershipsOf(
  user: AdminUserView,
  committees: readonly AdminCommitteeView[],
): Array<{ committee: AdminCommitteeView; role: string }> {
  const byId = new Map(committees.map((c) => [c.id, c]));
  return user.memberships
    .flatMap((m) => {
      const committee = byId.get(m.committeeId);
      return committee ? [{ committee, role: m.role }] : [];
    })
    .sort((a, b) => collator.compare(a.committee.name, b.committee.name));
}

export type DeviceState = "revoked" | "this" | "active";

export function deviceState(d: AdminDeviceView): DeviceState {
  if (d.revoked) return "revoked";
  return d.thisDevice ? "this" : "active";
}

const DEVICE_STATE_KEYS: Record<DeviceState, MessageKey> = {
  revoked: "admin.device.revoked",
  this: "admin.device.this",
  active: "admin.device.active",
};

export function deviceStateKey(s: DeviceState): MessageKey {
  return DEVICE_STATE_KEYS[s];
}

/** A device still in use and not the one the administrator works on. */
export function canRevoke(d: AdminDeviceView): boolean {
  return !d.revoked && !d.thisDevice;
}

/** Whether the administrator may disable (or enable) this account: never their own. */
export function canDisable(user: AdminUserView, me: string): boolean {
  return user.id !== me;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Beyond this a date says more than "n days ago". */
export const RELATIVE_DAYS = 30;

/** A device's last contact with the server in words: never, just now, n
 * minutes / hours / days ago, or the date and time when longer ago. */
export function lastSeenText(
  lastSeenAt: number | null,
  now: number,
  lang: Lang,
  timeZone?: string,
): { key: MessageKey; params: Params } {
  if (lastSeenAt === null) return { key: "admin.seen.never", params: {} };
  // A device clock ahead of this one counts as "just now".
  const ago = Math.max(0, now - lastSeenAt);
  if (ago < MINUTE) return { key: "admin.seen.justNow", params: {} };
  if (ago < HOUR) return { key: "admin.seen.minutes", params: { n: Math.floor(ago / MINUTE) } };
  if (ago < DAY) return { key: "admin.seen.hours", params: { n: Math.floor(ago / HOUR) } };
  if (ago < RELATIVE_DAYS * DAY) return { key: "admin.seen.days", params: { n: Math.floor(ago / DAY) } };
  return { key: "admin.seen.on", params: { date: formatDateTime(lastSeenAt, lang, timeZone) } };
}

// ---- trusted root certificates (for signatures embedded in documents) ----

const BEGIN_CERTIFICATE = "-----BEGIN CERTIFICATE-----";
/** Any PEM private key: PKCS#8 (plain or encrypted), RSA, EC. */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** A root's SHA-256 fingerprint (hex), short enough for a table: its first
 * and last four bytes, "3F:A2:9C:01…9A:0B:CC:D2". The whole one goes in
 * the cell's title. */
export function shortFingerprint(sha256: string): string {
  const bytes = sha256.replace(/[^0-9a-f]/gi, "").toUpperCase().match(/../g) ?? [];
  if (bytes.length <= 8) return bytes.join(":");
  return `${bytes.slice(0, 4).join(":")}…${bytes.slice(-4).join(":")}`;
}

/** Whether a certificate's (a root's, a signing token's) validity ended before `now`. */
export function rootExpired(notAfter: number, now: number): boolean {
  return notAfter < now;
}

/** The text to send as the trusted roots: blank means trust none (the
 * screen asks first); otherwise it must hold a PEM certificate, and never
 * a private key (that is not sent anywhere). The server checks the rest. */
export function checkRootsPem(text: string): FormCheck<string> {
  if (!text.trim()) return { ok: true, value: "" };
  if (PRIVATE_KEY.test(text)) return { ok: false, error: "roots.privateKey" };
  if (!text.includes(BEGIN_CERTIFICATE)) return { ok: false, error: "roots.notPem" };
  return { ok: true, value: text };
}

/** A certificate or revocation-list file as PEM text: a PEM file as it
 * is, a DER one (.cer, .crt and .crl files often are) wrapped as PEM; null
 * for anything else. Both are a SEQUENCE whose first element is a SEQUENCE
 * (the signed part; a DER private key's is an INTEGER, and is not taken).
 * A v2 revocation list's signed part starts with its version, INTEGER 1,
 * then an algorithm (a SEQUENCE); a v3 certificate's with a tagged version. */
export function certificateFileText(bytes: Uint8Array): string | null {
  const text = new TextDecoder().decode(bytes);
  if (text.includes("-----BEGIN ")) return text.endsWith("\n") ? text : `${text}\n`;
  if (bytes.length < 4 || bytes[0] !== 0x30) return null;
  const lengthBytes = bytes[1] & 0x80 ? bytes[1] & 0x7f : 0;
  const signed = 2 + lengthBytes;
  if (lengthBytes > 4 || bytes[signed] !== 0x30) return null;
  const inner = signed + 2 + (bytes[signed + 1] & 0x80 ? bytes[signed + 1] & 0x7f : 0);
  const isCrl = bytes[inner] === 0x02 && bytes[inner + 1] === 0x01 && bytes[inner + 2] === 0x01 && bytes[inner + 3] === 0x30;
  const label = isCrl ? "X509 CRL" : "CERTIFICATE";
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The server's own reason for refusing a list (it names the certificate
 * that is not one) or a signing certificate (why it is not one
 * certificate), shown under the translated sentence, without the
 * client's "server refused (400): InvalidInput:" before it; null for other
 * failures, which say enough in words. */
export function rootsRefusalDetail(e: unknown): string | null {
  if (!isIpcError(e) || e.code !== "invalid_input") return null;
  const reason = e.message.replace(/^server refused \(\d+\): \w+: /, "").trim();
  return reason || null;
}

// ---- the certificates of the users' signing tokens (signed ballots) ----

/** Control characters no PEM text holds, and the replacement character a
 * binary (DER) file decodes to. */
const BINARY = /[\u0000-\u0008\u000e-\u001f\ufffd]/;

/** The text to register as a user's signing certificate: exactly one PEM
 * CERTIFICATE block, as the token's software or the CA exports it. A
 * binary (DER) file is refused asking for the PEM export; a private key
 * is never sent; a revocation list, a second certificate (the CA's chain)
 * or any other block is refused. The server checks the certificate itself. */
export function checkSigningCertificatePem(text: string): FormCheck<string> {
  if (!text.trim()) return { ok: false, error: "signingCert.needPem" };
  if (BINARY.test(text)) return { ok: false, error: "signingCert.binary" };
  if (PRIVATE_KEY.test(text)) return { ok: false, error: "signingCert.privateKey" };
  const blocks: string[] = text.match(/-----BEGIN [^-\r\n]*-----/g) ?? [];
  if (!blocks.includes(BEGIN_CERTIFICATE)) return { ok: false, error: "roots.notPem" };
  if (blocks.length > 1) return { ok: false, error: "signingCert.oneOnly" };
  return { ok: true, value: `${text.trim()}\n` };
}

/** A chosen certificate file, checked as the pasted text is: a PEM file
 * as it is, a DER one (Windows exports .cer files so) wrapped as PEM
 * first; anything else binary is refused. */
export function checkSigningCertificateFile(bytes: Uint8Array): FormCheck<string> {
  const text = certificateFileText(bytes);
  if (text === null) return { ok: false, error: "signingCert.binary" };
  return checkSigningCertificatePem(text);
}
