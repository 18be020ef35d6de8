// UI strings of one part of the app, Vietnamese first, English second:
// presenter follow mode (trình chiếu).
// `i18n.ts` joins every part into one lookup; each part keeps both
// languages together, so the compiler flags a key missing in English.

export const vi = {
  "present.start": "Trình chiếu tài liệu này",
  "present.stop": "Dừng trình chiếu",
  "present.presenting": "Bạn đang trình chiếu: mọi thành viên theo dõi trang bạn đang xem",
  "present.following": "Đang theo dõi {name} trình chiếu",
  "present.leave": "Tự đọc",
  "present.away": "{name} đang trình chiếu",
  "present.back": "Quay lại trang người trình chiếu",
  "present.join": "Theo dõi trình chiếu",
  "present.failed": "Không gửi được trang trình chiếu: kiểm tra kết nối tới máy chủ",
  "present.region": "Khoanh vùng",
  "present.regionClear": "Bỏ khoanh vùng",
  "region.hintPresent": "Kéo trên trang để khoanh vùng mọi người cùng xem (Esc để hủy).",
  "region.hintComment": "Kéo trên trang để chọn vùng bạn góp ý (Esc để hủy).",
  "region.cancel": "Hủy",
};

export const en: Record<keyof typeof vi, string> = {
  "present.start": "Present this document",
  "present.stop": "Stop presenting",
  "present.presenting": "You are presenting: every member follows the page you show",
  "present.following": "Following {name}'s presentation",
  "present.leave": "Read on my own",
  "present.away": "{name} is presenting",
  "present.back": "Back to the presenter",
  "present.join": "Follow the presentation",
  "present.failed": "The page could not be sent to the meeting: check the connection to the server",
  "present.region": "Point at a region",
  "present.regionClear": "Clear the region",
  "region.hintPresent": "Drag over the page to mark the region everyone looks at (Esc to cancel).",
  "region.hintComment": "Drag over the page to choose the region your comment is about (Esc to cancel).",
  "region.cancel": "Cancel",
};
