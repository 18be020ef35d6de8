//! Vietnamese text set in the legacy 8-bit fonts that provincial documents
//! still come in: TCVN3 (the ABC `.Vn*` fonts: `.VnTime`, `.VnArial`, and
//! their all-capitals `…H` twins) and VNI (`VNI-Times`, `VNI-Helve`, …).
//! A PDF made from such a Word file names the font but has no Unicode for
//! its codes, so the extracted text is Latin-1 look-alikes ("QuyÕt ®Þnh")
//! and search never finds "quyết định".
//!
//! PDFium gives each character its font's name. For a character of a legacy
//! font, its code (the Latin-1 / Windows-1252 byte PDFium reported) is mapped
//! to Unicode: one code per letter in TCVN3; in VNI a letter is a base letter
//! followed by a mark character, and the pair becomes one character whose
//! box is the union of both, so search hits are marked where the word is.

use unicode_normalization::UnicodeNormalization;

/// Which legacy encoding a font uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    /// TCVN 5712:1993 VN3 (ABC). `capitals`: an `…H` font, whose lowercase
    /// codes draw capital letters.
    Tcvn3 { capitals: bool },
    /// VNI for Windows.
    Vni,
}

/// The legacy encoding of a font, from its PDF name: subset tag, a leading
/// dot (also written `#2E`) and style suffixes are ignored.
pub fn legacy_of(font_name: &str) -> Option<Legacy> {
    let name = match font_name.split_once('+') {
        Some((tag, rest)) if tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()) => rest,
        _ => font_name,
    };
    let name = name
        .strip_prefix('.')
        .or_else(|| name.strip_prefix("#2E"))
        .unwrap_or(name);
    // "VnTimeH,Bold", "VnArialH-Italic", "VNI-Times-Bold"
    let family = name.split([',', ' ']).next().unwrap_or(name);
    if family.len() >= 3 && family.starts_with("VNI-") {
        return Some(Legacy::Vni);
    }
    let mut chars = family.chars();
    if chars.next() == Some('V')
        && chars.next() == Some('n')
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
    {
        let base = family.split('-').next().unwrap_or(family);
        return Some(Legacy::Tcvn3 {
            capitals: base.len() > 3 && base.ends_with('H'),
        });
    }
    None
}

/// The byte a character stands for when PDFium decoded a simple font's
/// code as Latin-1 or Windows-1252.
fn byte_of(c: char) -> Option<u8> {
    let u = c as u32;
    if (0x80..=0xFF).contains(&u) {
        return u8::try_from(u).ok();
    }
    // Windows-1252's characters in 0x80..0x9F.
    const CP1252: [(char, u8); 27] = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8A),
        ('‹', 0x8B),
        ('Œ', 0x8C),
        ('Ž', 0x8E),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9A),
        ('›', 0x9B),
        ('œ', 0x9C),
        ('ž', 0x9E),
        ('Ÿ', 0x9F),
    ];
    CP1252.iter().find(|(k, _)| *k == c).map(|(_, b)| *b)
}

/// TCVN3 (VN3) codes 0xA1..=0xFF; `None` marks the positions VN3 leaves
/// empty (VN1's capitals with tones and its combining marks).
const TCVN3_HIGH: [Option<char>; 95] = {
    const N: Option<char> = None;
    [
        // A1..A7: the capitals VN3 keeps; A8..AE their small letters.
        Some('Ă'),
        Some('Â'),
        Some('Ê'),
        Some('Ô'),
        Some('Ơ'),
        Some('Ư'),
        Some('Đ'),
        Some('ă'),
        Some('â'),
        Some('ê'),
        Some('ô'),
        Some('ơ'),
        Some('ư'),
        Some('đ'),
        N, // AF
        N,
        N,
        N,
        N,
        N, // B0..B4
        Some('à'),
        Some('ả'),
        Some('ã'),
        Some('á'),
        Some('ạ'), // B5..B9
        N,         // BA
        Some('ằ'),
        Some('ẳ'),
        Some('ẵ'),
        Some('ắ'), // BB..BE
        N,
        N,
        N,
        N,
        N,
        N,
        N, // BF..C5
        Some('ặ'),
        Some('ầ'),
        Some('ẩ'),
        Some('ẫ'),
        Some('ấ'),
        Some('ậ'),
        Some('è'), // C6..CC
        N,         // CD
        Some('ẻ'),
        Some('ẽ'),
        Some('é'),
        Some('ẹ'),
        Some('ề'),
        Some('ể'),
        Some('ễ'),
        Some('ế'),
        Some('ệ'),
        Some('ì'),
        Some('ỉ'), // CE..D8
        N,
        N,
        N, // D9..DB
        Some('ĩ'),
        Some('í'),
        Some('ị'),
        Some('ò'), // DC..DF
        N,         // E0
        Some('ỏ'),
        Some('õ'),
        Some('ó'),
        Some('ọ'),
        Some('ồ'),
        Some('ổ'),
        Some('ỗ'),
        Some('ố'),
        Some('ộ'),
        Some('ờ'),
        Some('ở'),
        Some('ỡ'),
        Some('ớ'),
        Some('ợ'),
        Some('ù'), // E1..EF
        N,         // F0
        Some('ủ'),
        Some('ũ'),
        Some('ú'),
        Some('ụ'),
        Some('ừ'),
        Some('ử'),
        Some('ữ'),
        Some('ứ'),
        Some('ự'),
        Some('ỳ'),
        Some('ỷ'),
        Some('ỹ'),
        Some('ý'),
        Some('ỵ'), // F1..FE
        N,         // FF
    ]
};

/// The Unicode letter of a TCVN3 code.
pub fn tcvn3(code: u8) -> Option<char> {
    code.checked_sub(0xA1)
        .and_then(|i| TCVN3_HIGH.get(usize::from(i)).copied().flatten())
}

/// A VNI character that stands alone: ơ ư đ, the toned i's and ỵ.
fn vni_alone(c: char) -> Option<char> {
    Some(match c {
        'ô' => 'ơ',
        'Ô' => 'Ơ',
        'ö' => 'ư',
        'Ö' => 'Ư',
        'ñ' => 'đ',
        'Ñ' => 'Đ',
        'í' => 'í',
        'Í' => 'Í',
        'ì' => 'ì',
        'Ì' => 'Ì',
        'æ' => 'ỉ',
        'Æ' => 'Ỉ',
        'ó' => 'ĩ',
        'Ó' => 'Ĩ',
        'ò' => 'ị',
        'Ò' => 'Ị',
        'î' => 'ỵ',
        'Î' => 'Ỵ',
        _ => return None,
    })
}

/// The combining marks a VNI mark character adds to the letter before it.
fn vni_marks(c: char) -> Option<&'static [char]> {
    const ACUTE: char = '\u{301}';
    const GRAVE: char = '\u{300}';
    const HOOK: char = '\u{309}';
    const TILDE: char = '\u{303}';
    const DOT: char = '\u{323}';
    const CIRC: char = '\u{302}';
    const BREVE: char = '\u{306}';
    Some(match c.to_lowercase().next().unwrap_or(c) {
        'ù' => &[ACUTE],
        'ø' => &[GRAVE],
        'û' => &[HOOK],
        'õ' => &[TILDE],
        'ï' => &[DOT],
        'â' => &[CIRC],
        'á' => &[CIRC, ACUTE],
        'à' => &[CIRC, GRAVE],
        'å' => &[CIRC, HOOK],
        'ã' => &[CIRC, TILDE],
        'ä' => &[CIRC, DOT],
        'ê' => &[BREVE],
        'é' => &[BREVE, ACUTE],
        'è' => &[BREVE, GRAVE],
        'ú' => &[BREVE, HOOK],
        'ü' => &[BREVE, TILDE],
        'ë' => &[BREVE, DOT],
        _ => return None,
    })
}

/// `base` with `marks` added, when that is one character.
fn compose(base: char, marks: &[char]) -> Option<char> {
    let mut s: String = std::iter::once(base).collect::<String>().nfd().collect();
    s.extend(marks);
    let mut out = s.nfc();
    let c = out.next()?;
    out.next().is_none().then_some(c)
}

/// Decodes a run of extracted characters, each with the legacy encoding of
/// its font (`None` for Unicode fonts). Returns each output character with
/// the indices of the input characters it came from (two for a VNI letter
/// and its mark).
pub fn decode(input: &[(char, Option<Legacy>)]) -> Vec<(char, Vec<usize>)> {
    let mut out: Vec<(char, Vec<usize>)> = Vec::with_capacity(input.len());
    for (i, &(c, legacy)) in input.iter().enumerate() {
        let mapped = match legacy {
            None => c,
            Some(Legacy::Tcvn3 { capitals }) => {
                let c = byte_of(c).and_then(tcvn3).unwrap_or(c);
                if capitals {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c
                }
            }
            Some(Legacy::Vni) => {
                if let Some(marks) = vni_marks(c) {
                    let joined = out.last().and_then(|(prev, _)| compose(*prev, marks));
                    if let (Some(joined), Some(last)) = (joined, out.last_mut()) {
                        last.0 = joined;
                        last.1.push(i);
                        continue;
                    }
                }
                vni_alone(c).unwrap_or(c)
            }
        };
        out.push((mapped, vec![i]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_names_are_recognised_whatever_their_decoration() {
        let tcvn = Some(Legacy::Tcvn3 { capitals: false });
        let caps = Some(Legacy::Tcvn3 { capitals: true });
        for (name, want) in [
            (".VnTime", tcvn),
            ("ABCDEF+.VnTime", tcvn),
            ("#2EVnArial,Bold", tcvn),
            ("VnTimeH", caps),
            (".VnArialH-Italic", caps),
            ("VNI-Times", Some(Legacy::Vni)),
            ("QWERTY+VNI-Helve-Bold", Some(Legacy::Vni)),
            ("TimesNewRoman", None),
            ("Vnfont", None),
            ("Helvetica", None),
        ] {
            assert_eq!(legacy_of(name), want, "{name}");
        }
    }

    /// Every Vietnamese letter, and how VNI for Windows writes it: a base
    /// letter and a mark, or one character (the published VNI table).
    const VNI: &[(&str, &str)] = &[
        ("á", "aù"),
        ("à", "aø"),
        ("ả", "aû"),
        ("ã", "aõ"),
        ("ạ", "aï"),
        ("â", "aâ"),
        ("ấ", "aá"),
        ("ầ", "aà"),
        ("ẩ", "aå"),
        ("ẫ", "aã"),
        ("ậ", "aä"),
        ("ă", "aê"),
        ("ắ", "aé"),
        ("ằ", "aè"),
        ("ẳ", "aú"),
        ("ẵ", "aü"),
        ("ặ", "aë"),
        ("é", "eù"),
        ("è", "eø"),
        ("ẻ", "eû"),
        ("ẽ", "eõ"),
        ("ẹ", "eï"),
        ("ê", "eâ"),
        ("ế", "eá"),
        ("ề", "eà"),
        ("ể", "eå"),
        ("ễ", "eã"),
        ("ệ", "eä"),
        ("í", "í"),
        ("ì", "ì"),
        ("ỉ", "æ"),
        ("ĩ", "ó"),
        ("ị", "ò"),
        ("ó", "où"),
        ("ò", "oø"),
        ("ỏ", "oû"),
        ("õ", "oõ"),
        ("ọ", "oï"),
        ("ô", "oâ"),
        ("ố", "oá"),
        ("ồ", "oà"),
        ("ổ", "oå"),
        ("ỗ", "oã"),
        ("ộ", "oä"),
        ("ơ", "ô"),
        ("ớ", "ôù"),
        ("ờ", "ôø"),
        ("ở", "ôû"),
        ("ỡ", "ôõ"),
        ("ợ", "ôï"),
        ("ú", "uù"),
        ("ù", "uø"),
        ("ủ", "uû"),
        ("ũ", "uõ"),
        ("ụ", "uï"),
        ("ư", "ö"),
        ("ứ", "öù"),
        ("ừ", "öø"),
        ("ử", "öû"),
        ("ữ", "öõ"),
        ("ự", "öï"),
        ("ý", "yù"),
        ("ỳ", "yø"),
        ("ỷ", "yû"),
        ("ỹ", "yõ"),
        ("ỵ", "î"),
        ("đ", "ñ"),
        ("Á", "AÙ"),
        ("Ấ", "AÁ"),
        ("Ặ", "AË"),
        ("Ề", "EÀ"),
        ("Ị", "Ò"),
        ("Ở", "ÔÛ"),
        ("Ự", "ÖÏ"),
        ("Ỹ", "YÕ"),
        ("Ỵ", "Î"),
        ("Đ", "Ñ"),
    ];

    fn decoded(s: &str, legacy: Legacy) -> String {
        let input: Vec<(char, Option<Legacy>)> = s
            .chars()
            .map(|c| (c, (!c.is_ascii()).then_some(legacy)))
            .collect();
        decode(&input).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn every_vni_letter_decodes_to_its_unicode_letter() {
        for (want, vni) in VNI {
            assert_eq!(decoded(vni, Legacy::Vni), *want, "{vni}");
        }
        assert_eq!(
            decoded("Quyeát ñònh soá 15/QÑ-UBND", Legacy::Vni),
            "Quyết định số 15/QĐ-UBND"
        );
        assert_eq!(decoded("Ngöôøi", Legacy::Vni), "Người");
    }

    #[test]
    fn a_vni_letter_and_its_mark_become_one_character_from_both() {
        let input = [
            ('n', None),
            ('ö', Some(Legacy::Vni)),
            ('ô', Some(Legacy::Vni)),
            ('ø', Some(Legacy::Vni)),
            ('i', None),
        ];
        assert_eq!(
            decode(&input),
            vec![
                ('n', vec![0]),
                ('ư', vec![1]),
                ('ờ', vec![2, 3]),
                ('i', vec![4])
            ]
        );
    }

    #[test]
    fn tcvn3_agrees_with_the_published_table() {
        // glibc's TCVN5712-1 is TCVN 5712:1993 VN1; VN3 (the ABC fonts) is
        // its part from 0xA1 without the toned capitals and combining marks.
        for code in 0xA1..=0xFFu8 {
            let Some(ours) = tcvn3(code) else { continue };
            let out = std::process::Command::new("iconv")
                .args(["-f", "TCVN5712-1", "-t", "UTF-8"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    use std::io::Write as _;
                    child.stdin.take().expect("stdin").write_all(&[code])?;
                    child.wait_with_output()
                })
                .expect("iconv (libc-bin)");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                ours.to_string(),
                "code {code:#04X}"
            );
        }
        // 67 small letters and 7 capitals: every letter of the alphabet.
        assert_eq!((0xA1..=0xFFu8).filter_map(tcvn3).count(), 74);
    }

    #[test]
    fn tcvn3_text_and_its_capitals_font_decode() {
        let bytes: &[u8] = b"Quy\xd5t \xae\xdenh s\xe8 15/Q\xa7-UBND";
        let s: String = bytes.iter().map(|&b| char::from(b)).collect();
        assert_eq!(
            decoded(&s, Legacy::Tcvn3 { capitals: false }),
            "Quyết định số 15/QĐ-UBND"
        );
        let caps: String = b"quy\xd5t \xae\xdenh"
            .iter()
            .map(|&b| char::from(b))
            .collect();
        let input: Vec<_> = caps
            .chars()
            .map(|c| (c, Some(Legacy::Tcvn3 { capitals: true })))
            .collect();
        let out: String = decode(&input).into_iter().map(|(c, _)| c).collect();
        assert_eq!(out, "QUYẾT ĐỊNH");
    }
}
