//! Turning an admin's upload into stock credentials: one per line, or one per CSV record.

/// Longest credential we store (characters); anything longer is almost certainly a pasting
/// mistake. 500 characters stay within PostgreSQL's unique-index row limit in any script.
pub const MAX_LEN: usize = 500;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct CredentialBatch {
    /// Distinct credentials in upload order.
    pub credentials: Vec<String>,
    /// Lines repeated within the upload itself.
    pub duplicates_in_upload: usize,
    /// Lines refused because they are longer than [`MAX_LEN`].
    pub too_long: usize,
}

impl CredentialBatch {
    fn push(&mut self, credential: String) {
        if credential.is_empty() {
            return;
        }
        if credential.chars().count() > MAX_LEN {
            self.too_long += 1;
        } else if self.credentials.contains(&credential) {
            self.duplicates_in_upload += 1;
        } else {
            self.credentials.push(credential);
        }
    }
}

/// One credential per non-empty line, trimmed.
pub fn from_lines(text: &str) -> CredentialBatch {
    let mut batch = CredentialBatch::default();
    for line in text.lines() {
        batch.push(line.trim().to_owned());
    }
    batch
}

/// One credential per CSV record: its non-empty fields joined by ` | `, e.g.
/// `user@mail.com | secret`. A first record that looks like a header is skipped.
pub fn from_csv(bytes: &[u8]) -> CredentialBatch {
    let mut batch = CredentialBatch::default();
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(bytes);
    for (index, record) in reader.records().enumerate() {
        let Ok(record) = record else { continue };
        let fields: Vec<&str> = record.iter().filter(|f| !f.is_empty()).collect();
        if index == 0 && looks_like_header(&fields) {
            continue;
        }
        batch.push(fields.join(" | "));
    }
    batch
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
}
