// UI strings of one part of the app, Vietnamese first, English second:
// a document's readers' policy (watermark, export, classification).
// `i18n.ts` joins every part into one lookup; each part keeps both
// languages together, so the compiler flags a key missing in English.

export const vi = {
  "policy.heading": "Chính sách cho người đọc",
  "policy.watermark": "Hình mờ tên người đọc trên mọi trang",
  "policy.export": "Xuất, in",
  "policy.export.allowed": "Cho phép xuất",
  "policy.export.watermarked": "Xuất kèm hình mờ",
  "policy.export.forbidden": "Không cho xuất, không in",
  "policy.classification": "Độ mật",
  "policy.class.normal": "Thường",
  "policy.class.confidential": "Mật",
  "policy.class.secret": "Tối mật",
  "policy.class.top_secret": "Tuyệt mật",
  "policy.saving": "Đang lưu chính sách…",
  "policy.saved": "Đã lưu chính sách. Thiết bị của đại biểu áp dụng từ lần đồng bộ tới.",
  "policy.notIsolated": "Máy chủ này không thuộc mạng nội bộ tách biệt nên không được lưu tài liệu mật (Luật Bảo vệ bí mật nhà nước). Tài liệu giữ độ mật cũ.",
  "policy.viewerWatermark": "Các trang mang hình mờ tên của bạn: {who}",
  "policy.viewerClassified": "Tài liệu {level}: chỉ đọc trực tuyến, không lưu trên thiết bị này, không xuất, không in.",
  "policy.exportForbidden": "Tài liệu này không được xuất hoặc in",
  "policy.exportWatermarked": "Xuất PDF (kèm hình mờ tên bạn)",
  "policy.badgeWatermark": "Hình mờ",
  "policy.badgeNoExport": "Không xuất",
  "error.export_forbidden": "Tài liệu này không được xuất hoặc in theo quy định của thư ký.",
  "error.classified": "Tài liệu mật chỉ đọc được khi kết nối máy chủ của cuộc họp; không có bản nào lưu trên thiết bị này.",
} as const;

export const en: Record<keyof typeof vi, string> = {
  "policy.heading": "Readers' policy",
  "policy.watermark": "Reader's name watermarked on every page",
  "policy.export": "Export, print",
  "policy.export.allowed": "Export allowed",
  "policy.export.watermarked": "Export with watermark",
  "policy.export.forbidden": "No export or print",
  "policy.classification": "Classification",
  "policy.class.normal": "Normal",
  "policy.class.confidential": "Confidential (Mật)",
  "policy.class.secret": "Secret (Tối mật)",
  "policy.class.top_secret": "Top secret (Tuyệt mật)",
  "policy.saving": "Saving the policy…",
  "policy.saved": "Policy saved. Members' devices apply it from their next sync.",
  "policy.notIsolated": "This server is not on an isolated network, so it may not hold classified documents. The document keeps its classification.",
  "policy.viewerWatermark": "Pages carry your name as a watermark: {who}",
  "policy.viewerClassified": "{level} document: read online only, not kept on this device, no export or print.",
  "policy.exportForbidden": "This document may not be exported or printed",
  "policy.exportWatermarked": "Export PDF (with your name watermarked)",
  "policy.badgeWatermark": "Watermark",
  "policy.badgeNoExport": "No export",
  "error.export_forbidden": "This document may not be exported or printed, as the secretary decided.",
  "error.classified": "A classified document can only be read while connected to the meeting's server; no copy is kept on this device.",
};
