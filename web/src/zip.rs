//! ZIP archives: one built in the browser for "Download all" (stored, no compression: a few
//! dozen lines instead of a compression crate), and the entries of one the user drops into
//! *Check my files* (stored or deflated, inflated by miniz_oxide), bounded in count and size.

/// CRC-32 (IEEE), bitwise: the archive is small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (!(crc & 1)).wrapping_add(1));
        }
    }
    !crc
}

/// Builds a ZIP file holding `files` (name, contents) in one folder.
pub fn zip(folder: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    // 1980-01-01 00:00, the ZIP epoch: keeps the archive deterministic.
    let (time, date) = (0u16, 0x21u16);
    for (name, data) in files {
        let name = format!("{folder}/{name}");
        let crc = crc32(data);
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let header = |sig: u32, central_dir: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central_dir {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&time.to_le_bytes());
            h.extend_from_slice(&date.to_le_bytes());
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central_dir {
                h.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
                h.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // external attrs
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn crc_of_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn python_reads_the_archive() {
        let data = zip(
            "trident",
            &[("a.conf", b"hello\n"), ("b.ini", "é 50%\n".as_bytes())],
        );
        let path = std::env::temp_dir().join(format!("trident-zip-{}.zip", std::process::id()));
        std::fs::write(&path, &data).unwrap();
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg("import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(i.filename, z.read(i).decode())")
            .arg(&path)
            .output()
            .expect("python3 runs");
        let _ = std::fs::remove_file(&path);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "trident/a.conf hello\n\ntrident/b.ini é 50%\n\n"
        );
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// Most entries read from a dropped archive.
const MAX_ENTRIES: usize = 64;

/// The files of a ZIP archive (name, contents), from its central directory; `None` when
/// `bytes` is not a ZIP. Directories, macOS metadata and entries larger than the core's
/// file limit are left out; entries past [`MAX_ENTRIES`] are not read.
pub fn unzip(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    // The end of central directory record: within the last 64 KiB + 22 bytes.
    let from = bytes.len().saturating_sub(65_557);
    let end = (from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))?;
    let count = u16_at(bytes, end + 10)?;
    let mut at = u32_at(bytes, end + 16)?;
    let limit = trident_core::lint::MAX_FILE_BYTES;
    let mut out = Vec::new();
    for _ in 0..count.min(MAX_ENTRIES) {
        if !bytes.get(at..)?.starts_with(b"PK\x01\x02") {
            break;
        }
        let method = u16_at(bytes, at + 10)?;
        let packed = u32_at(bytes, at + 20)?;
        let size = u32_at(bytes, at + 24)?;
        let (name_len, extra, comment) = (
            u16_at(bytes, at + 28)?,
            u16_at(bytes, at + 30)?,
            u16_at(bytes, at + 32)?,
        );
        let local = u32_at(bytes, at + 42)?;
        let name = String::from_utf8_lossy(bytes.get(at + 46..at + 46 + name_len)?).into_owned();
        at += 46 + name_len + extra + comment;
        let hidden = name
            .split('/')
            .any(|p| p.starts_with('.') || p == "__MACOSX");
        if name.ends_with('/') || hidden || size > limit {
            continue;
        }
        let data_at = local + 30 + u16_at(bytes, local + 26)? + u16_at(bytes, local + 28)?;
        let data = bytes.get(data_at..data_at.checked_add(packed)?)?;
        let contents = match method {
            0 => data.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec_with_limit(data, size.min(limit)).ok()?,
            _ => continue,
        };
        out.push((name, contents));
    }
    Some(out)
}
