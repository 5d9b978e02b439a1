//! Turning an admin's upload into stock credentials: one per line, or one per CSV record.
use std::collections::HashSet;

/// Longest credential we store (characters); anything longer is almost certainly a pasting
/// mistake. 500 characters stay within PostgreSQL's unique-index row limit in any script.
pub const MAX_LEN: usize = 500;

/// Characters that show as nothing but make two equal-looking credentials differ: the byte
/// order mark Excel and Notepad put at the start of a file (U+FEFF), zero-width space,
/// non-joiner and joiner, and the word joiner. Trimmed from both ends of every line and
/// field, together with whitespace (which includes the no-break space U+00A0).
const INVISIBLE: [char; 5] = ['\u{FEFF}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}'];

fn is_junk(c: char) -> bool {
    c.is_whitespace() || INVISIBLE.contains(&c)
}

/// A line or field without surrounding whitespace and invisible characters.
fn clean(text: &str) -> &str {
    text.trim_matches(is_junk)
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct CredentialBatch {
    /// Distinct credentials in upload order.
    pub credentials: Vec<String>,
    /// Lines repeated within the upload itself.
    pub duplicates_in_upload: usize,
    /// Lines refused because they are longer than [`MAX_LEN`].
    pub too_long: usize,
}

/// Collects a batch: `seen` mirrors `credentials`, so spotting a repeat is one hash lookup
/// and a 60,000-line upload stays linear.
#[derive(Default)]
struct Builder {
    batch: CredentialBatch,
    seen: HashSet<String>,
}

impl Builder {
    fn push(&mut self, credential: &str) {
        let credential = clean(credential);
        if credential.is_empty() {
            return;
        }
        if credential.chars().count() > MAX_LEN {
            self.batch.too_long += 1;
        } else if self.seen.contains(credential) {
            self.batch.duplicates_in_upload += 1;
        } else {
            self.seen.insert(credential.to_owned());
            self.batch.credentials.push(credential.to_owned());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingleError {
    Empty,
    TooLong,
    /// More than one line: one login at a time.
    SeveralLines,
}

/// One credential typed by staff (a rotated password): cleaned like an upload's line.
pub fn single(text: &str) -> Result<String, SingleError> {
    let lines: Vec<&str> = text.lines().map(clean).filter(|l| !l.is_empty()).collect();
    match lines.as_slice() {
        [] => Err(SingleError::Empty),
        [one] if one.chars().count() > MAX_LEN => Err(SingleError::TooLong),
        [one] => Ok((*one).to_owned()),
        _ => Err(SingleError::SeveralLines),
    }
}

/// One credential per non-empty line, trimmed.
pub fn from_lines(text: &str) -> CredentialBatch {
    let mut builder = Builder::default();
    for line in text.lines() {
        builder.push(line);
    }
    builder.batch
}

/// One credential per CSV record: its non-empty fields joined by ` | `, e.g.
/// `user@mail.com | secret`. A first record that looks like a header is skipped.
pub fn from_csv(bytes: &[u8]) -> CredentialBatch {
    let mut builder = Builder::default();
    // Before parsing: a BOM in front of a quoted field would make its quotes literal.
    let bytes = without_junk_at_line_starts(bytes);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(bytes.as_slice());
    for (index, record) in reader.records().enumerate() {
        let Ok(record) = record else { continue };
        let fields: Vec<&str> = record.iter().map(clean).filter(|f| !f.is_empty()).collect();
        if index == 0 && looks_like_header(&fields) {
            continue;
        }
        builder.push(&fields.join(" | "));
    }
    builder.batch
}

/// `bytes` with whitespace and [`INVISIBLE`] characters removed from the start of every line.
/// Works on bytes, so a record that is not UTF-8 is still skipped by the CSV reader.
fn without_junk_at_line_starts(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let mut rest = line;
        loop {
            rest = match rest {
                [b' ' | b'\t', tail @ ..] => tail,
                // U+00A0 no-break space.
                [0xC2, 0xA0, tail @ ..] => tail,
                // U+FEFF byte order mark.
                [0xEF, 0xBB, 0xBF, tail @ ..] => tail,
                // U+200B, U+200C, U+200D zero-width space, non-joiner, joiner.
                [0xE2, 0x80, 0x8B..=0x8D, tail @ ..] => tail,
                // U+2060 word joiner.
                [0xE2, 0x81, 0xA0, tail @ ..] => tail,
                _ => break,
            };
        }
        out.extend_from_slice(rest);
    }
    out
}

fn looks_like_header(fields: &[&str]) -> bool {
    const WORDS: [&str; 6] = ["email", "password", "login", "username", "credential", "pin"];
    !fields.is_empty() && fields.iter().all(|f| WORDS.iter().any(|w| f.eq_ignore_ascii_case(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_deduplicated_and_blank_ones_dropped() {
        let batch = from_lines("  a@x.com:pw1 \n\nb@x.com:pw2\r\na@x.com:pw1\n   \n");
        assert_eq!(batch.credentials, vec!["a@x.com:pw1", "b@x.com:pw2"]);
        assert_eq!(batch.duplicates_in_upload, 1);
    }

    #[test]
    fn overlong_lines_are_refused() {
        let long = "x".repeat(MAX_LEN + 1);
        let batch = from_lines(&format!("ok\n{long}"));
        assert_eq!(batch.credentials, vec!["ok"]);
        assert_eq!(batch.too_long, 1);
    }

    #[test]
    fn csv_joins_fields_and_skips_a_header() {
        let batch = from_csv(b"email,password\na@x.com,pw1\n\"b@x.com\",\"p,w\"\na@x.com,pw1\n");
        assert_eq!(batch.credentials, vec!["a@x.com | pw1", "b@x.com | p,w"]);
        assert_eq!(batch.duplicates_in_upload, 1);
    }

    #[test]
    fn csv_without_header_keeps_first_row() {
        let batch = from_csv(b"a@x.com,pw1\n");
        assert_eq!(batch.credentials, vec!["a@x.com | pw1"]);
    }

    #[test]
    fn byte_order_marks_and_invisible_characters_are_stripped_from_lines() {
        let text = "\u{FEFF}a@x.com:pw1\n\u{200B}b@x.com:pw2\u{200B}\n\u{00A0}\u{2060}c@x.com:pw3\u{00A0}\n\
                    \u{200C}\u{200D} a@x.com:pw1\n\u{FEFF}\n\u{FEFF}\u{200B}b@x.com:pw2\r\n";
        let batch = from_lines(text);
        assert_eq!(batch.credentials, vec!["a@x.com:pw1", "b@x.com:pw2", "c@x.com:pw3"]);
        assert_eq!(batch.duplicates_in_upload, 2);
        assert_eq!(batch.too_long, 0);
    }

    #[test]
    fn a_csv_saved_with_a_byte_order_mark_still_has_its_header_skipped() {
        let batch = from_csv("\u{FEFF}email,password\na@x.com,pw1\n".as_bytes());
        assert_eq!(batch.credentials, vec!["a@x.com | pw1"]);
        let quoted = from_csv("\u{FEFF}\"Email\",\"Password\"\r\n\"a@x.com\",\"p,w\"\r\n".as_bytes());
        assert_eq!(quoted.credentials, vec!["a@x.com | p,w"]);
        // Saved twice with a BOM, or pasted from a web page: still a header.
        let twice = from_csv("\u{FEFF}\u{FEFF}email,\u{200B}password\u{00A0}\na@x.com,pw1\n".as_bytes());
        assert_eq!(twice.credentials, vec!["a@x.com | pw1"]);
    }

    #[test]
    fn invisible_characters_are_stripped_from_csv_fields_and_rows() {
        let text = "\u{FEFF}a@x.com,pw1\n\u{200B}\"b@x.com\",\"p,w\"\n\u{00A0}a@x.com\u{200D},\u{2060}pw1\u{00A0}\n\
                    b@x.com,\u{200C}\u{FEFF}\n\u{FEFF}\"a@x.com\",pw1\n";
        let batch = from_csv(text.as_bytes());
        assert_eq!(batch.credentials, vec!["a@x.com | pw1", "b@x.com | p,w", "b@x.com"]);
        assert_eq!(batch.duplicates_in_upload, 2);
    }

    #[test]
    fn a_row_that_is_not_utf8_is_still_skipped() {
        let batch = from_csv(b"a@x.com,pw1\n\xFF\xFEbad,row\nb@x.com,pw2\n");
        assert_eq!(batch.credentials, vec!["a@x.com | pw1", "b@x.com | pw2"]);
    }

    #[test]
    fn a_60000_line_upload_with_duplicates_is_deduplicated_in_order() {
        const DISTINCT: usize = 40_000;
        let lines: Vec<String> =
            (0..60_000).map(|i| format!("user{}@x.com:pw{}", i % DISTINCT, i % DISTINCT)).collect();
        let batch = from_lines(&lines.join("\n"));
        assert_eq!(batch.credentials.len(), DISTINCT);
        assert_eq!(batch.duplicates_in_upload, 60_000 - DISTINCT);
        assert!(batch.credentials.iter().enumerate().all(|(i, c)| *c == lines[i]), "upload order kept");

        let rows: Vec<String> = (0..60_000).map(|i| format!("user{}@x.com,pw{}", i % DISTINCT, i % DISTINCT)).collect();
        let batch = from_csv(format!("email,password\n{}\n", rows.join("\n")).as_bytes());
        assert_eq!(batch.credentials.len(), DISTINCT);
        assert_eq!(batch.duplicates_in_upload, 60_000 - DISTINCT);
        assert_eq!(batch.credentials[DISTINCT - 1], format!("user{}@x.com | pw{}", DISTINCT - 1, DISTINCT - 1));
    }

    #[test]
    fn a_single_credential_is_cleaned_and_alone() {
        assert_eq!(single("  \u{FEFF}new@mail.test:pw2 \n\n"), Ok("new@mail.test:pw2".into()));
        assert_eq!(single(" \n "), Err(SingleError::Empty));
        assert_eq!(single("a:b\nc:d"), Err(SingleError::SeveralLines));
        assert_eq!(single(&"x".repeat(MAX_LEN + 1)), Err(SingleError::TooLong));
    }
}
