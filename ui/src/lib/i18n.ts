// UI strings: Vietnamese first (the default), English second.
// Every key must exist in both languages; i18n.test.ts enforces it.
import { writable, derived, type Readable } from "svelte/store";

export type Lang = "vi" | "en";
export const LANGS: readonly Lang[] = ["vi", "en"];

const vi = {
  "app.title": "E-Cabinet",
  "app.subtitle": "Phòng họp không giấy",
  "about.heading": "Thông tin phiên bản",
  "about.appVersion": "Phiên bản ứng dụng",
  "about.pdfium": "Thư viện PDFium",
  "about.pdfiumMissing": "Không tải được PDFium",
  "about.loading": "Đang tải…",
  "lang.switch": "English",
  "lang.label": "Ngôn ngữ",
  "common.back": "Quay lại",
  "common.loading": "Đang tải…",
  "firstRun.heading": "Đăng ký thiết bị",
  "firstRun.intro": "Nhập địa chỉ máy chủ và tài khoản được cấp, sau đó chọn mã PIN để mở khóa ứng dụng trên máy này.",
  "firstRun.server": "Địa chỉ máy chủ",
  "firstRun.username": "Tên đăng nhập",
  "firstRun.password": "Mật khẩu",
  "firstRun.pin": "Mã PIN (ít nhất 4 ký tự)",
  "firstRun.pinConfirm": "Nhập lại mã PIN",
  "firstRun.submit": "Đăng ký",
  "firstRun.working": "Đang đăng ký…",
  "firstRun.pinMismatch": "Hai lần nhập mã PIN không khớp.",
  "firstRun.pinShort": "Mã PIN phải có ít nhất 4 ký tự.",
  "firstRun.missing": "Vui lòng điền đủ các ô.",
  "firstRun.wiped": "Đã nhập sai mã PIN quá số lần cho phép nên dữ liệu trên máy đã bị xóa. Vui lòng đăng ký lại.",
  "unlock.heading": "Mở khóa",
  "unlock.intro": "Nhập mã PIN để mở dữ liệu cuộc họp trên máy này.",
  "unlock.pin": "Mã PIN",
  "unlock.submit": "Mở khóa",
  "unlock.working": "Đang kiểm tra…",
  "unlock.wrongPin": "Mã PIN không đúng. Còn {n} lần thử trước khi dữ liệu trên máy bị xóa.",
  "unlock.wait": "Vui lòng chờ {n} giây rồi thử lại.",
  "revoked.heading": "Thiết bị đã bị thu hồi",
  "revoked.body": "Quản trị viên đã thu hồi quyền truy cập của thiết bị này. Toàn bộ dữ liệu cuộc họp trên máy đã được xóa.",
  "revoked.again": "Đăng ký lại",
  "nav.lock": "Khóa",
  "nav.meetings": "Cuộc họp",
  "meetings.heading": "Cuộc họp",
  "meetings.upcoming": "Sắp diễn ra",
  "meetings.past": "Đã diễn ra",
  "meetings.none": "Chưa có cuộc họp nào.",
  "meetings.noneYet": "Chưa có cuộc họp nào. Dữ liệu sẽ hiện ra sau lần đồng bộ đầu tiên.",
  "meetings.location": "Địa điểm",
  "sync.downloaded": "Đã tải đủ tài liệu",
  "sync.downloading": "Đang tải tài liệu {done}/{total}",
  "sync.error": "{n} tài liệu bị từ chối",
  "sync.noDocuments": "Không có tài liệu",
  "status.draft": "Bản nháp",
  "status.published": "Đã công bố",
  "status.in_session": "Đang họp",
  "status.closed": "Đã kết thúc",
  "meeting.agenda": "Chương trình nghị sự",
  "meeting.current": "Đang thảo luận",
  "meeting.noDocuments": "Không có tài liệu",
  "meeting.version": "Phiên bản {n}",
  "meeting.superseded": "đã được thay thế",
  "meeting.pending": "đang tải về",
  "meeting.rejected": "bị từ chối",
  "meeting.open": "Mở",
  "viewer.zoomIn": "Phóng to",
  "viewer.zoomOut": "Thu nhỏ",
  "viewer.pages": "Trang",
  "viewer.pageOf": "Trang {n}/{total}",
  "viewer.rejected": "Tài liệu này không vượt qua bước kiểm tra tính toàn vẹn nên không được hiển thị.",
  "viewer.reason": "Chi tiết",
  "statusbar.online": "Trực tuyến",
  "statusbar.offline": "Ngoại tuyến",
  "statusbar.unknown": "Đang kết nối…",
  "statusbar.syncing": "Đang đồng bộ…",
  "statusbar.lastSync": "Đồng bộ lần cuối",
  "statusbar.never": "chưa đồng bộ",
  "statusbar.pending": "Chờ gửi",
  "statusbar.syncNow": "Đồng bộ ngay",
  "error.generic": "Đã có lỗi xảy ra. Vui lòng thử lại.",
  "error.no_data": "Chưa có dữ liệu trên máy này. Vui lòng đăng ký thiết bị.",
  "error.wrong_pin": "Mã PIN không đúng.",
  "error.locked": "Đã nhập sai mã PIN nhiều lần. Vui lòng chờ rồi thử lại.",
  "error.wiped": "Dữ liệu trên máy đã bị xóa do nhập sai mã PIN quá nhiều lần.",
  "error.offline": "Không kết nối được máy chủ. Vui lòng kiểm tra địa chỉ và mạng.",
  "error.login_failed": "Tên đăng nhập hoặc mật khẩu không đúng.",
  "error.device_revoked": "Thiết bị này đã bị thu hồi.",
  "error.session_expired": "Phiên làm việc đã hết hạn. Vui lòng đăng ký lại thiết bị.",
  "error.not_unlocked": "Ứng dụng đang khóa.",
  "error.invalid_input": "Thông tin nhập chưa hợp lệ. Vui lòng kiểm tra lại.",
  "error.not_found": "Không tìm thấy dữ liệu, có thể chưa tải về xong.",
  "error.document_rejected": "Tài liệu này không vượt qua bước kiểm tra nên không được hiển thị.",
  "error.pdfium_unavailable": "Không tìm thấy thư viện hiển thị PDF trên máy này.",
  "error.server_error": "Máy chủ từ chối yêu cầu. Vui lòng liên hệ thư ký cuộc họp.",
  "error.internal": "Đã có lỗi xảy ra. Vui lòng thử lại.",
} as const;

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  "app.title": "E-Cabinet",
  "app.subtitle": "Paperless meeting room",
  "about.heading": "Version information",
  "about.appVersion": "App version",
  "about.pdfium": "PDFium library",
  "about.pdfiumMissing": "PDFium could not be loaded",
  "about.loading": "Loading…",
  "lang.switch": "Tiếng Việt",
  "lang.label": "Language",
  "common.back": "Back",
  "common.loading": "Loading…",
  "firstRun.heading": "Enrol this device",
  "firstRun.intro": "Enter the server address and the account you were given, then choose a PIN to unlock the app on this computer.",
  "firstRun.server": "Server address",
  "firstRun.username": "User name",
  "firstRun.password": "Password",
  "firstRun.pin": "PIN (at least 4 characters)",
  "firstRun.pinConfirm": "Repeat the PIN",
  "firstRun.submit": "Enrol",
  "firstRun.working": "Enrolling…",
  "firstRun.pinMismatch": "The two PINs do not match.",
  "firstRun.pinShort": "The PIN must have at least 4 characters.",
  "firstRun.missing": "Please fill in every field.",
  "firstRun.wiped": "Too many wrong PINs were entered, so the data on this computer was erased. Please enrol again.",
  "unlock.heading": "Unlock",
  "unlock.intro": "Enter your PIN to open the meeting data on this computer.",
  "unlock.pin": "PIN",
  "unlock.submit": "Unlock",
  "unlock.working": "Checking…",
  "unlock.wrongPin": "Wrong PIN. {n} attempts left before the data on this computer is erased.",
  "unlock.wait": "Please wait {n} s before trying again.",
  "revoked.heading": "This device was revoked",
  "revoked.body": "An administrator revoked this device's access. All meeting data on this computer has been erased.",
  "revoked.again": "Enrol again",
  "nav.lock": "Lock",
  "nav.meetings": "Meetings",
  "meetings.heading": "Meetings",
  "meetings.upcoming": "Upcoming",
  "meetings.past": "Past",
  "meetings.none": "No meetings.",
  "meetings.noneYet": "No meetings yet. They appear after the first sync.",
  "meetings.location": "Location",
  "sync.downloaded": "All documents downloaded",
  "sync.downloading": "Downloading documents {done}/{total}",
  "sync.error": "{n} documents refused",
  "sync.noDocuments": "No documents",
  "status.draft": "Draft",
  "status.published": "Published",
  "status.in_session": "In session",
  "status.closed": "Closed",
  "meeting.agenda": "Agenda",
  "meeting.current": "On the floor",
  "meeting.noDocuments": "No documents",
  "meeting.version": "Version {n}",
  "meeting.superseded": "superseded",
  "meeting.pending": "downloading",
  "meeting.rejected": "refused",
  "meeting.open": "Open",
  "viewer.zoomIn": "Zoom in",
  "viewer.zoomOut": "Zoom out",
  "viewer.pages": "Pages",
  "viewer.pageOf": "Page {n} of {total}",
  "viewer.rejected": "This document failed its integrity check and is not shown.",
  "viewer.reason": "Details",
  "statusbar.online": "Online",
  "statusbar.offline": "Offline",
  "statusbar.unknown": "Connecting…",
  "statusbar.syncing": "Syncing…",
  "statusbar.lastSync": "Last sync",
  "statusbar.never": "never",
  "statusbar.pending": "Waiting to send",
  "statusbar.syncNow": "Sync now",
  "error.generic": "Something went wrong. Please try again.",
  "error.no_data": "There is no data on this computer yet. Please enrol the device.",
  "error.wrong_pin": "Wrong PIN.",
  "error.locked": "Too many wrong PINs. Please wait and try again.",
  "error.wiped": "The data on this computer was erased after too many wrong PINs.",
  "error.offline": "The server cannot be reached. Please check the address and the network.",
  "error.login_failed": "Wrong user name or password.",
  "error.device_revoked": "This device was revoked.",
  "error.session_expired": "Your session has expired. Please enrol the device again.",
  "error.not_unlocked": "The app is locked.",
  "error.invalid_input": "Some of the information entered is not valid. Please check it.",
  "error.not_found": "Not found; it may not be downloaded yet.",
  "error.document_rejected": "This document failed its check and is not shown.",
  "error.pdfium_unavailable": "The PDF display library was not found on this computer.",
  "error.server_error": "The server refused the request. Please contact the meeting secretary.",
  "error.internal": "Something went wrong. Please try again.",
};

export const messages: Record<Lang, Record<MessageKey, string>> = { vi, en };

const STORAGE_KEY = "ecabinet.lang";

function initialLang(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved === "vi" || saved === "en") return saved;
  } catch {
    // storage unavailable: fall back to the default
  }
  return "vi";
}

export const lang = writable<Lang>(initialLang());
lang.subscribe((l) => {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, l);
  } catch {
    // not persisted; the choice still holds for this session
  }
  if (typeof document !== "undefined") document.documentElement.lang = l;
});

export type Params = Record<string, string | number>;

/** The message for `key` in `l`, with `{name}` placeholders filled from `params`. */
export function translate(l: Lang, key: MessageKey, params?: Params): string {
  const text = messages[l][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** `$t("key")` or `$t("key", { n: 3 })` in components. */
export const t: Readable<(key: MessageKey, params?: Params) => string> = derived(
  lang,
  (l) => (key: MessageKey, params?: Params) => translate(l, key, params),
);

/** The BCP 47 locale for dates and numbers: vi-VN or en-GB. */
export function localeOf(l: Lang): string {
  return l === "vi" ? "vi-VN" : "en-GB";
}

export function toggleLang(): void {
  lang.update((l) => (l === "vi" ? "en" : "vi"));
}
