// The signatures embedded in an opened document (PAdES), as the viewer
// shows them: one badge for the whole document, and for each signature the
// lines of its details. The checking itself is done on the Rust side, on
// this device, against the trusted roots the administrator set; this file
// only says it in words. A broken signature never keeps a document from
// being read (the secretary may have uploaded a scan): it is said, loudly.
import type { SignaturesView, SignatureView, UploadSignatureCheckView } from "./bindings";
import type { Lang, MessageKey, Params } from "./i18n";
import { formatDateTime } from "./meetings";

/** The badge's colour; `none` shows no badge (an unsigned document). */
export type Tone = "none" | "green" | "amber" | "red";

export interface SignatureBadge {
  tone: Tone;
  /** The short label in the viewer's toolbar. */
  label: MessageKey;
  /** The whole sentence: the details' heading, and the banner when broken. */
  key: MessageKey;
  params: Params;
}

// Certificates and the server may spell Vietnamese marks decomposed, with
// stray spaces: one person, one name.
const cleanName = (s: string | null | undefined): string => (s ?? "").trim().normalize("NFC");

/** Each name once, in the order first seen: trimmed, its marks composed
 *  (NFC), blanks dropped. */
export function distinctNames(names: Iterable<string | null | undefined>): string[] {
  const out: string[] = [];
  for (const n of names) {
    const name = cleanName(n);
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/** The signers, each once, in file order: the name with its organisation
 *  (Vietnamese names repeat: the unit tells two Nguyễn Văn An apart), or
 *  the organisation where a certificate names no person. */
export function signerNames(signatures: readonly SignatureView[]): string[] {
  return distinctNames(
    signatures.map((s) => {
      const person = cleanName(s.signer);
      const unit = cleanName(s.organisation);
      return person && unit ? `${person} (${unit})` : person || unit;
    }),
  );
}

/** Why a document whose signatures are all intact is not validly signed:
 *  the first reason found, in this order over every signature. */
export function warningKey(v: SignaturesView): MessageKey {
  const sigs = v.signatures;
  if (sigs.some((s) => s.trust !== "trusted")) return v.rootsKnown ? "sig.warn.untrusted" : "sig.warn.noRoots";
  if (sigs.some((s) => s.validity === "expired")) return "sig.warn.expired";
  if (sigs.some((s) => s.validity !== "valid")) return "sig.warn.notYetValid";
  if (sigs.some((s) => s.unsignedChangesAfter)) return "sig.warn.changedAfter";
  if (sigs.some((s) => s.integrity !== "intact")) return "sig.warn.unverifiable";
  return "sig.warn.other";
}

/** The badge for a document's signatures. */
export function signatureBadge(v: SignaturesView): SignatureBadge {
  switch (v.verdict) {
    case "unsigned":
      return { tone: "none", label: "sig.unsigned", key: "sig.unsigned", params: {} };
    case "valid": {
      const names = signerNames(v.signatures);
      return names.length
        ? { tone: "green", label: "sig.validBy", key: "sig.validBy", params: { names: names.join(", ") } }
        : { tone: "green", label: "sig.valid", key: "sig.valid", params: {} };
    }
    case "broken": {
      // A changed document says more than a damaged signature, and that
      // more than a revoked certificate.
      const sigs = v.signatures;
      const key: MessageKey = sigs.some((s) => s.integrity === "modified")
        ? "sig.broken.modified"
        : sigs.some((s) => s.integrity === "broken")
          ? "sig.broken.damaged"
          : sigs.some((s) => s.revocation === "revoked")
            ? "sig.broken.revoked"
            : "sig.broken.modified";
      return { tone: "red", label: "sig.badge.broken", key, params: {} };
    }
    default:
      // `warning`, and a verdict this UI does not know yet: never green.
      return { tone: "amber", label: "sig.badge.warning", key: v.verdict === "warning" ? warningKey(v) : "sig.warn.other", params: {} };
  }
}

/** One signature's own colour (a multi-signature document can mix them). */
export function signatureTone(s: SignatureView): Exclude<Tone, "none"> {
  if (s.integrity === "modified" || s.integrity === "broken" || s.revocation === "revoked") return "red";
  if (s.integrity === "intact" && s.trust === "trusted" && s.validity === "valid" && !s.unsignedChangesAfter) return "green";
  return "amber";
}

export type LineTone = "ok" | "warn" | "bad" | "info";

export interface Line {
  key: MessageKey;
  params: Params;
  tone: LineTone;
}

const line = (key: MessageKey, tone: LineTone, params: Params = {}): Line => ({ key, params, tone });

/** What the details say about one signature, in order: who signed (and
 *  their organisation), who issued the certificate, when it says it was
 *  signed, whether the document changed since, whether the certificate is
 *  trusted and still valid, whether its CA revoked it (as far as this
 *  device's revocation lists say), and
 *  the technical detail (English) when something is wrong. Times are in
 *  the device's time zone like every other screen, unless `timeZone`. */
export function signatureLines(s: SignatureView, rootsKnown: boolean, lang: Lang, timeZone?: string): Line[] {
  const date = (ms: number) => formatDateTime(ms, lang, timeZone);
  const name = cleanName(s.signer) || null;
  const organisation = cleanName(s.organisation) || null;
  const out: Line[] = [];

  if (name && organisation) out.push(line("sig.by", "info", { name, organisation }));
  else if (name) out.push(line("sig.byName", "info", { name }));
  else if (organisation) out.push(line("sig.byOrganisation", "info", { organisation }));
  else out.push(line("sig.byUnknown", "warn"));
  if (s.issuer?.trim()) out.push(line("sig.issuer", "info", { issuer: s.issuer.trim() }));

  out.push(s.signedAt === null ? line("sig.signedAtUnknown", "info") : line("sig.signedAt", "info", { date: date(s.signedAt) }));

  switch (s.integrity) {
    case "intact":
      out.push(line("sig.intact", "ok"));
      break;
    case "modified":
      out.push(line("sig.modified", "bad"));
      break;
    case "broken":
      out.push(line("sig.damaged", "bad"));
      break;
    default:
      out.push(line("sig.unverifiable", "warn"));
  }
  // Said once above when the signed part itself changed.
  if (s.unsignedChangesAfter && s.integrity !== "modified" && s.integrity !== "broken") {
    out.push(line("sig.changedAfter", "warn"));
  } else if (!s.coversWholeFile && s.integrity === "intact") {
    out.push(line("sig.earlierRevision", "info"));
  }

  if (s.trust === "trusted") out.push(line("sig.trusted", "ok"));
  else out.push(line(rootsKnown ? "sig.untrusted" : "sig.noRoots", "warn"));

  if (s.validity === "valid") {
    out.push(s.notAfter === null ? line("sig.certValid", "ok") : line("sig.certValidUntil", "ok", { date: date(s.notAfter) }));
  } else {
    out.push(line(s.validity === "expired" ? "sig.expired" : "sig.notYetValid", "warn"));
    if (s.notAfter !== null) out.push(line("sig.notAfter", "info", { date: date(s.notAfter) }));
  }

  if (s.revocation === "revoked") out.push(line("sig.revoked", "bad"));
  else if (s.revocation === "good") out.push(line("sig.notRevoked", "ok"));
  else out.push(line("sig.revocation", "info"));
  if (s.problem?.trim()) out.push(line("sig.problem", "info", { detail: s.problem.trim() }));
  return out;
}

/** The line a secretary sees under a version: what the server found of its
 *  signatures when it was uploaded (`null`: unsigned, or uploaded before
 *  the server checked). The reason, in English, goes in the tooltip. */
export function uploadCheckLine(
  c: UploadSignatureCheckView | null,
): { tone: Exclude<Tone, "none">; key: MessageKey; params: Params; detail: string } | null {
  if (!c || c.verdict === "unsigned") return null;
  const names = distinctNames(c.signers).join(", ") || "?";
  const detail = c.problem ?? "";
  switch (c.verdict) {
    case "valid":
      return { tone: "green", key: "sig.upload.valid", params: { names }, detail };
    case "broken":
      return { tone: "red", key: "sig.upload.broken", params: {}, detail };
    default:
      return { tone: "amber", key: "sig.upload.warning", params: { names }, detail };
  }
}
