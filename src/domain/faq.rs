//! What an FAQ entry may be: a question short enough for a button, an answer that fits a
//! message, typed by staff as `question | answer`.
pub const MAX_QUESTION_CHARS: usize = 60;
pub const MAX_ANSWER_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaqText {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaqError {
    /// No `|` between the question and the answer, or one of them is empty.
    Shape,
    QuestionTooLong,
    AnswerTooLong,
}

/// `question | answer` (the answer may span lines; the first `|` splits).
pub fn parse(text: &str) -> Result<FaqText, FaqError> {
    let (question, answer) = text.split_once('|').ok_or(FaqError::Shape)?;
    let (question, answer) = (question.trim(), answer.trim());
    if question.is_empty() || answer.is_empty() {
        return Err(FaqError::Shape);
    }
    if question.chars().count() > MAX_QUESTION_CHARS {
        return Err(FaqError::QuestionTooLong);
    }
    if answer.chars().count() > MAX_ANSWER_CHARS {
        return Err(FaqError::AnswerTooLong);
    }
    Ok(FaqText { question: question.to_owned(), answer: answer.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_bar_answer() {
        assert_eq!(
            parse(" How do I pay? | By UPI or wallet.\nAsk us if stuck. "),
            Ok(FaqText { question: "How do I pay?".into(), answer: "By UPI or wallet.\nAsk us if stuck.".into() })
        );
        assert_eq!(parse("a | b | c").unwrap().answer, "b | c");
        assert_eq!(parse("no bar"), Err(FaqError::Shape));
        assert_eq!(parse(" | answer"), Err(FaqError::Shape));
        assert_eq!(parse(&format!("{} | a", "q".repeat(61))), Err(FaqError::QuestionTooLong));
        assert_eq!(parse(&format!("q | {}", "a".repeat(1001))), Err(FaqError::AnswerTooLong));
    }
}
