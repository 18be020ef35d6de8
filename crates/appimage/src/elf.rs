//! Where the runtime's own ELF file ends, which is where the appended image
//! begins. Only what that needs is read: the 64-bit little-endian header and
//! the section headers (the runtime is built for x86-64 Linux only).

use std::io::{Read, Seek, SeekFrom};

const SHT_NOBITS: u32 = 8;

/// The first byte after the ELF file: the end of its section header table or
/// of its last section holding file data, whichever is later.
pub fn end_of_elf<F: Read + Seek>(file: &mut F) -> Result<u64, String> {
    let mut header = [0u8; 64];
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    file.read_exact(&mut header)
        .map_err(|_| "shorter than an ELF header".to_string())?;
    if &header[..4] != b"\x7fELF" {
        return Err("no ELF header".into());
    }
    if header[4] != 2 || header[5] != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let shoff = u64_at(&header, 0x28);
    let shentsize = u64::from(u16_at(&header, 0x3a));
    let shnum = u64::from(u16_at(&header, 0x3c));
    if shentsize < 0x28 && shnum > 0 {
        return Err("section headers too small".into());
    }
    let table_end = shnum
        .checked_mul(shentsize)
        .and_then(|len| shoff.checked_add(len))
        .ok_or("section header table out of range")?;
    let mut end = table_end;
    let mut entry = vec![0u8; usize::try_from(shentsize).map_err(|_| "section header too large")?];
    for index in 0..shnum {
        file.seek(SeekFrom::Start(shoff + index * shentsize))
            .map_err(|e| e.to_string())?;
        file.read_exact(&mut entry)
            .map_err(|_| "truncated section header table".to_string())?;
        if u32_at(&entry, 4) == SHT_NOBITS {
            continue;
        }
        let section_end = u64_at(&entry, 0x18)
            .checked_add(u64_at(&entry, 0x20))
            .ok_or("section out of range")?;
        end = end.max(section_end);
    }
    Ok(end)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn a_program_ends_where_its_file_ends() {
        // Any ELF program this test runs as: nothing is appended to it, so its
        // ELF end is its length.
        let exe = std::env::current_exe().expect("own path");
        let bytes = std::fs::read(&exe).expect("own bytes");
        let end = end_of_elf(&mut Cursor::new(&bytes)).expect("an ELF file");
        assert_eq!(end, bytes.len() as u64);
        // With something appended, the end stays where the program ends.
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"hsqs and the rest of an image");
        assert_eq!(
            end_of_elf(&mut Cursor::new(&longer)).expect("an ELF file"),
            end
        );
    }

    #[test]
    fn what_is_not_an_elf_file_is_refused() {
        assert!(end_of_elf(&mut Cursor::new(b"#!/bin/sh\necho hello\n".to_vec())).is_err());
        assert!(end_of_elf(&mut Cursor::new(b"\x7fELF".to_vec())).is_err());
        // A header whose section table lies past the end of the file.
        let exe = std::fs::read(std::env::current_exe().expect("own path")).expect("own bytes");
        let cut = exe[..4096].to_vec();
        assert!(end_of_elf(&mut Cursor::new(cut)).is_err());
    }
}
