//! Label and field selectors, as used by Kubernetes list and watch queries.
//!
//! [`LabelSelector`] parses the `labelSelector` query parameter with the Kubernetes grammar
//! (`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, and the integer comparisons
//! `k>n` / `k<n`), and can also be built from a `metav1.LabelSelector` object.
//! [`FieldSelector`] parses the `fieldSelector` query parameter (`path=value`, `path==value`,
//! `path!=value`) and resolves dotted field paths in JSON objects.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use thiserror::Error;

/// Why a selector could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectorError {
    /// The label selector is syntactically or semantically invalid.
    #[error("{message}")]
    InvalidLabelSelector {
        /// What is wrong with the selector, naming the offending part.
        message: String,
    },
    /// The field selector is syntactically invalid.
    #[error("{message}")]
    InvalidFieldSelector {
        /// What is wrong with the selector, naming the offending part.
        message: String,
    },
}

/// Builds a [`SelectorError::InvalidLabelSelector`].
fn label_error(message: String) -> SelectorError {
    SelectorError::InvalidLabelSelector { message }
}

/// Builds a [`SelectorError::InvalidFieldSelector`].
fn field_error(message: String) -> SelectorError {
    SelectorError::InvalidFieldSelector { message }
}

/// A label selector: a conjunction of requirements on an object's labels.
///
/// The default selector has no requirements and matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// All requirements must hold for a match.
    requirements: Vec<Requirement>,
    /// Set for a null `metav1.LabelSelector`, which selects nothing.
    selects_nothing: bool,
}

/// One requirement on the value of a label.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Requirement {
    /// The label key.
    key: String,
    /// The test applied to the label.
    operator: Operator,
}

/// The test a [`Requirement`] applies to a label (`=`/`==` are `In` with one value, `!=` is
/// `NotIn` with one value).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operator {
    /// The label exists and its value is in the set.
    In(BTreeSet<String>),
    /// The label is absent or its value is not in the set.
    NotIn(BTreeSet<String>),
    /// The label exists.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label exists and is an integer greater than the bound.
    GreaterThan(i64),
    /// The label exists and is an integer less than the bound.
    LessThan(i64),
}

impl Requirement {
    /// Whether `labels` satisfies this requirement.
    fn matches(&self, labels: &Map<String, Value>) -> bool {
        let present = labels.get(&self.key);
        let value = present.and_then(Value::as_str);
        let integer = || value.and_then(|value| value.parse::<i64>().ok());
        match &self.operator {
            Operator::In(values) => value.is_some_and(|value| values.contains(value)),
            Operator::NotIn(values) => !value.is_some_and(|value| values.contains(value)),
            Operator::Exists => present.is_some(),
            Operator::DoesNotExist => present.is_none(),
            Operator::GreaterThan(bound) => integer().is_some_and(|number| number > *bound),
            Operator::LessThan(bound) => integer().is_some_and(|number| number < *bound),
        }
    }
}

impl LabelSelector {
    /// Parses a `labelSelector` query string; the empty string selects everything.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let parser = Parser { tokens: tokenize(s), position: 0 };
        let requirements = parser.parse_selector().map_err(label_error)?;
        Ok(LabelSelector { requirements, selects_nothing: false })
    }

    /// Builds the selector requiring every label of `map` with exactly its value (a
    /// `matchLabels` map or a Service selector).
    pub fn from_match_labels(map: &BTreeMap<String, String>) -> Self {
        let requirements = map
            .iter()
            .map(|(key, value)| Requirement {
                key: key.clone(),
                operator: Operator::In(BTreeSet::from([value.clone()])),
            })
            .collect();
        LabelSelector { requirements, selects_nothing: false }
    }

    /// Builds a selector from a `metav1.LabelSelector` JSON object
    /// (`{matchLabels: {..}, matchExpressions: [{key, operator, values}]}`), as found in
    /// Deployment and PodDisruptionBudget specs.
    ///
    /// As in Kubernetes, a `null` selector selects nothing and an empty object selects everything.
    /// Operators are `In`, `NotIn`, `Exists` and `DoesNotExist`; `In`/`NotIn` need at least one
    /// value and `Exists`/`DoesNotExist` take none.
    pub fn from_label_selector_value(sel: &Value) -> Result<Self, SelectorError> {
        let object = match sel {
            Value::Null => return Ok(LabelSelector { requirements: Vec::new(), selects_nothing: true }),
            Value::Object(object) => object,
            other => {
                return Err(label_error(format!("invalid label selector: expected a map, got {other}")));
            }
        };
        let mut requirements = Vec::new();
        match object.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (key, value) in labels {
                    let value = value.as_str().ok_or_else(|| {
                        label_error(format!("matchLabels.{key}: Invalid value: {value}: must be a string"))
                    })?;
                    validate_key(key).map_err(label_error)?;
                    validate_value(value, &format!("matchLabels.{key}")).map_err(label_error)?;
                    requirements.push(Requirement {
                        key: key.clone(),
                        operator: Operator::In(BTreeSet::from([value.to_owned()])),
                    });
                }
            }
            Some(other) => {
                return Err(label_error(format!("matchLabels: Invalid value: {other}: must be a map")));
            }
        }
        match object.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(expressions)) => {
                for (index, expression) in expressions.iter().enumerate() {
                    requirements.push(parse_expression(index, expression).map_err(label_error)?);
                }
            }
            Some(other) => {
                return Err(label_error(format!("matchExpressions: Invalid value: {other}: must be a list")));
            }
        }
        Ok(LabelSelector { requirements, selects_nothing: false })
    }

    /// Whether an object with the given labels is selected.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        !self.selects_nothing && self.requirements.iter().all(|requirement| requirement.matches(labels))
    }

    /// Whether `obj` is selected, reading its `metadata.labels` (missing labels count as none).
    pub fn matches_object(&self, obj: &Value) -> bool {
        let empty = Map::new();
        let labels = obj.pointer("/metadata/labels").and_then(Value::as_object).unwrap_or(&empty);
        self.matches(labels)
    }
}

/// Converts one `matchExpressions` entry into a requirement.
fn parse_expression(index: usize, expression: &Value) -> Result<Requirement, String> {
    let at = format!("matchExpressions[{index}]");
    let key = expression
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}.key: Required value: must be a string"))?;
    validate_key(key)?;
    let operator = expression
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}.operator: Required value: must be a string"))?;
    let values = match expression.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .enumerate()
            .map(|(i, value)| {
                value
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{at}.values[{i}]: Invalid value: {value}: must be a string"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(format!("{at}.values: Invalid value: {other}: must be a list")),
    };
    for (i, value) in values.iter().enumerate() {
        validate_value(value, &format!("{at}.values[{i}]"))?;
    }
    let operator = match operator {
        "In" | "NotIn" if values.is_empty() => {
            return Err(format!(
                "{at}.values: Required value: for 'in', 'notin' operators, values set can't be empty"
            ));
        }
        "Exists" | "DoesNotExist" if !values.is_empty() => {
            return Err(format!(
                "{at}.values: Forbidden: values set must be empty for exists and does not exist"
            ));
        }
        "In" => Operator::In(values.into_iter().collect()),
        "NotIn" => Operator::NotIn(values.into_iter().collect()),
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        other => {
            return Err(format!("{at}.operator: Invalid value: \"{other}\": not a valid selector operator"));
        }
    };
    Ok(Requirement { key: key.to_owned(), operator })
}

/// A lexical token of the label selector grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A run of characters that are neither whitespace nor special symbols (keys, values, `in`,
    /// `notin`).
    Identifier(String),
    /// `!`
    Bang,
    /// `=`
    Equals,
    /// `==`
    DoubleEquals,
    /// `!=`
    NotEquals,
    /// `(`
    Open,
    /// `)`
    Close,
    /// `,`
    Comma,
    /// `>`
    GreaterThan,
    /// `<`
    LessThan,
    /// The end of the input.
    End,
}

impl Token {
    /// The text of the token, as quoted in error messages (empty at the end of the input).
    fn literal(&self) -> &str {
        match self {
            Token::Identifier(text) => text,
            Token::Bang => "!",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::NotEquals => "!=",
            Token::Open => "(",
            Token::Close => ")",
            Token::Comma => ",",
            Token::GreaterThan => ">",
            Token::LessThan => "<",
            Token::End => "",
        }
    }

    /// The token of a single special symbol, or `None` for identifier characters.
    fn special(c: char) -> Option<Token> {
        match c {
            '!' => Some(Token::Bang),
            '=' => Some(Token::Equals),
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            ',' => Some(Token::Comma),
            '>' => Some(Token::GreaterThan),
            '<' => Some(Token::LessThan),
            _ => None,
        }
    }
}

/// Splits a label selector into tokens, skipping whitespace. Never includes [`Token::End`].
fn tokenize(s: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if let Some(token) = Token::special(c) {
            chars.next();
            let token = match (token, chars.peek()) {
                (Token::Bang, Some('=')) => Token::NotEquals,
                (Token::Equals, Some('=')) => Token::DoubleEquals,
                (token, _) => token,
            };
            if matches!(token, Token::NotEquals | Token::DoubleEquals) {
                chars.next();
            }
            tokens.push(token);
        } else {
            let mut identifier = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || Token::special(c).is_some() {
                    break;
                }
                identifier.push(c);
                chars.next();
            }
            tokens.push(Token::Identifier(identifier));
        }
    }
    tokens
}

/// Recursive-descent parser over the tokens of a label selector, following Kubernetes'
/// `labels.Parse`.
struct Parser {
    /// The tokens of the selector.
    tokens: Vec<Token>,
    /// Index of the next token.
    position: usize,
}

impl Parser {
    /// The next token, without consuming it.
    fn peek(&self) -> Token {
        self.tokens.get(self.position).cloned().unwrap_or(Token::End)
    }

    /// Consumes and returns the next token.
    fn next(&mut self) -> Token {
        let token = self.peek();
        if self.position < self.tokens.len() {
            self.position += 1;
        }
        token
    }

    /// `selector := [requirement (',' requirement)*]`
    fn parse_selector(mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            match self.peek() {
                Token::End => return Ok(requirements),
                Token::Identifier(_) | Token::Bang => {}
                other => {
                    return Err(format!(
                        "found '{}', expected: !, identifier, or 'end of string'",
                        other.literal()
                    ));
                }
            }
            let requirement =
                self.parse_requirement().map_err(|error| format!("unable to parse requirement: {error}"))?;
            requirements.push(requirement);
            match self.next() {
                Token::End => return Ok(requirements),
                Token::Comma => match self.peek() {
                    Token::Identifier(_) | Token::Bang => {}
                    other => {
                        return Err(format!("found '{}', expected: identifier after ','", other.literal()));
                    }
                },
                other => {
                    return Err(format!("found '{}', expected: ',' or 'end of string'", other.literal()));
                }
            }
        }
    }

    /// `requirement := '!' key | key | key op value | key ('in' | 'notin') '(' values ')'`
    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let negated = self.peek() == Token::Bang;
        if negated {
            self.next();
        }
        let key = match self.next() {
            Token::Identifier(key) => key,
            other => return Err(format!("found '{}', expected: identifier", other.literal())),
        };
        validate_key(&key)?;
        if negated {
            return Ok(Requirement { key, operator: Operator::DoesNotExist });
        }
        if matches!(self.peek(), Token::End | Token::Comma) {
            return Ok(Requirement { key, operator: Operator::Exists });
        }
        let operator = match self.next() {
            Token::Identifier(word) if word == "in" => Operator::In(self.parse_values()?),
            Token::Identifier(word) if word == "notin" => Operator::NotIn(self.parse_values()?),
            Token::Equals | Token::DoubleEquals => Operator::In(BTreeSet::from([self.parse_exact_value()?])),
            Token::NotEquals => Operator::NotIn(BTreeSet::from([self.parse_exact_value()?])),
            Token::GreaterThan => Operator::GreaterThan(parse_bound(&self.parse_exact_value()?)?),
            Token::LessThan => Operator::LessThan(parse_bound(&self.parse_exact_value()?)?),
            other => {
                return Err(format!("found '{}', expected: in, notin, =, ==, !=, gt, lt", other.literal()));
            }
        };
        Ok(Requirement { key, operator })
    }

    /// `values := '(' [value] (',' [value])* ')'`; empty entries mean the empty value.
    fn parse_values(&mut self) -> Result<BTreeSet<String>, String> {
        let open = self.next();
        if open != Token::Open {
            return Err(format!("found '{}', expected: '('", open.literal()));
        }
        let mut values = Vec::new();
        match self.peek() {
            Token::Close => {
                self.next();
                return Ok(BTreeSet::from([String::new()]));
            }
            Token::Identifier(_) | Token::Comma => {}
            other => return Err(format!("found '{}', expected: ',', ')' or identifier", other.literal())),
        }
        loop {
            match self.next() {
                Token::Identifier(value) => {
                    values.push(value);
                    match self.peek() {
                        Token::Comma => {}
                        Token::Close => break,
                        other => return Err(format!("found '{}', expected: ',' or ')'", other.literal())),
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    match self.peek() {
                        Token::Close => {
                            values.push(String::new());
                            break;
                        }
                        Token::Comma => {
                            self.next();
                            values.push(String::new());
                        }
                        _ => {}
                    }
                }
                other => return Err(format!("found '{}', expected: ',', or identifier", other.literal())),
            }
        }
        let close = self.next();
        if close != Token::Close {
            return Err(format!("found '{}', expected: ')'", close.literal()));
        }
        for (index, value) in values.iter().enumerate() {
            validate_value(value, &format!("values[{index}]"))?;
        }
        Ok(values.into_iter().collect())
    }

    /// The single value after `=`, `==`, `!=`, `>` or `<`; a missing value is the empty value.
    fn parse_exact_value(&mut self) -> Result<String, String> {
        let value = match self.peek() {
            Token::End | Token::Comma => String::new(),
            Token::Identifier(value) => {
                self.next();
                value
            }
            other => return Err(format!("found '{}', expected: identifier", other.literal())),
        };
        validate_value(&value, "values[0]")?;
        Ok(value)
    }
}

/// Parses the integer operand of `>` and `<`.
fn parse_bound(value: &str) -> Result<i64, String> {
    value.parse().map_err(|_| {
        format!(
            "values[0]: Invalid value: \"{value}\": for 'Gt', 'Lt' operators, the value must be an integer"
        )
    })
}

/// Whether `s` matches `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_qualified_name_part(s: &str) -> bool {
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    alphanumeric(s.chars().next())
        && alphanumeric(s.chars().last())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether `s` is a lowercase RFC 1123 subdomain (without the length limit).
fn is_dns_subdomain(s: &str) -> bool {
    s.split('.').all(|label| {
        let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        alphanumeric(label.chars().next())
            && alphanumeric(label.chars().last())
            && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

/// Validates a label key: an optional DNS subdomain prefix and `/`, then a name of at most 63
/// characters.
fn validate_key(key: &str) -> Result<(), String> {
    let invalid = |reason: &str| Err(format!("key: Invalid value: \"{key}\": {reason}"));
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.contains('/') {
        return invalid(
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start \
             and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' \
             (e.g. 'example.com/MyName')",
        );
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return invalid("prefix part must be non-empty");
        }
        if prefix.len() > 253 {
            return invalid("prefix part must be no more than 253 characters");
        }
        if !is_dns_subdomain(prefix) {
            return invalid(
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
                 characters, '-' or '.', and must start and end with an alphanumeric character \
                 (e.g. 'example.com')",
            );
        }
    }
    if name.is_empty() {
        return invalid("name part must be non-empty");
    }
    if name.len() > 63 {
        return invalid("name part must be no more than 63 characters");
    }
    if !is_qualified_name_part(name) {
        return invalid(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and \
             end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')",
        );
    }
    Ok(())
}

/// Validates a label value (empty, or at most 63 characters of the qualified-name alphabet);
/// `at` names the value in the error.
fn validate_value(value: &str, at: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err(format!("{at}: Invalid value: \"{value}\": must be no more than 63 characters"));
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        return Err(format!(
            "{at}: Invalid value: \"{value}\": a valid label must be an empty string or consist of \
             alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric \
             character (e.g. 'MyValue', or 'my_value', or '12345')"
        ));
    }
    Ok(())
}

/// A field selector: a conjunction of equality and inequality tests on object fields.
///
/// The default selector has no requirements and matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// All requirements must hold for a match.
    requirements: Vec<FieldRequirement>,
}

/// One `path=value` or `path!=value` test.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldRequirement {
    /// Dotted field path, e.g. `metadata.name`.
    field: String,
    /// The (unescaped) value compared with the field.
    value: String,
    /// `true` for `!=`.
    negated: bool,
}

impl FieldSelector {
    /// Parses a `fieldSelector` query string; the empty string selects everything.
    ///
    /// Terms are separated by commas; `\,`, `\=` and `\\` escape those characters in values.
    /// Whitespace around field paths and values is ignored.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for term in split_terms(s) {
            if term.trim().is_empty() {
                continue;
            }
            let not_understood =
                || field_error(format!("invalid selector: '{s}'; can't understand '{term}'"));
            let (field, operator, value) = split_term(term).ok_or_else(not_understood)?;
            let field = field.trim();
            if field.is_empty() {
                return Err(not_understood());
            }
            requirements.push(FieldRequirement {
                field: field.to_owned(),
                value: unescape_value(value.trim())?,
                negated: operator == "!=",
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// Whether `obj` is selected. Each field path is resolved in `obj`; a missing field or `null`
    /// compares as the empty string, numbers and booleans by their JSON text.
    pub fn matches_object(&self, obj: &Value) -> bool {
        self.requirements.iter().all(|requirement| {
            (field_value(obj, &requirement.field) == requirement.value) != requirement.negated
        })
    }

    /// The field paths used by the selector, in selector order, so unsupported ones can be refused.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|requirement| requirement.field.as_str())
    }
}

/// Splits a field selector on commas that are not escaped with a backslash.
fn split_terms(s: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (index, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&s[start..index]);
            start = index + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits a term at its first operator (`!=`, `==` or `=`) into field, operator and value.
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    term.char_indices().find_map(|(index, _)| {
        let rest = &term[index..];
        ["!=", "==", "="]
            .into_iter()
            .find_map(|operator| rest.strip_prefix(operator).map(|value| (&term[..index], operator, value)))
    })
}

/// Removes the backslash escapes of a field selector value, refusing unescaped `,` and `=`.
fn unescape_value(value: &str) -> Result<String, SelectorError> {
    let mut unescaped = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(field_error(format!("invalid field selector: invalid escape sequence: \\{c}")));
            }
            unescaped.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, ',' | '=') {
            return Err(field_error(format!("invalid field selector: unescaped character in value: {c}")));
        } else {
            unescaped.push(c);
        }
    }
    if escaped {
        return Err(field_error("invalid field selector: invalid escape sequence: \\".to_owned()));
    }
    Ok(unescaped)
}

/// The value of the dotted `path` in `obj` as compared by field selectors.
fn field_value<'a>(obj: &'a Value, path: &str) -> Cow<'a, str> {
    let resolved = path.split('.').try_fold(obj, |current, segment| current.get(segment));
    match resolved {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(text)) => Cow::Borrowed(text),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("labels are a map")
    }

    fn selects(selector: &str, value: Value) -> bool {
        LabelSelector::parse(selector).expect("selector parses").matches(&labels(value))
    }

    fn label_error_text(selector: &str) -> String {
        LabelSelector::parse(selector).expect_err("selector is invalid").to_string()
    }

    #[test]
    fn empty_selector_matches_everything() {
        let selector = LabelSelector::parse("  ").expect("selector parses");
        assert_eq!(selector, LabelSelector::default());
        assert!(selector.matches(&Map::new()));
        assert!(selector.matches_object(&json!({"metadata": {"name": "x"}})));
    }

    #[test]
    fn equality_operators() {
        assert!(selects("app=web", json!({"app": "web"})));
        assert!(selects("app==web", json!({"app": "web", "x": "y"})));
        assert!(!selects("app=web", json!({"app": "db"})));
        assert!(!selects("app=web", json!({})));
        assert!(selects("app!=web", json!({"app": "db"})));
        assert!(selects("app!=web", json!({})));
        assert!(!selects("app!=web", json!({"app": "web"})));
    }

    #[test]
    fn set_operators() {
        assert!(selects("env in (prod,staging)", json!({"env": "staging"})));
        assert!(!selects("env in (prod,staging)", json!({"env": "dev"})));
        assert!(!selects("env in (prod)", json!({})));
        assert!(selects("env notin (prod,staging)", json!({"env": "dev"})));
        assert!(selects("env notin (prod,staging)", json!({})));
        assert!(!selects("env notin (prod, staging)", json!({"env": "prod"})));
    }

    #[test]
    fn existence_operators() {
        assert!(selects("canary", json!({"canary": ""})));
        assert!(!selects("canary", json!({})));
        assert!(selects("!canary", json!({"app": "web"})));
        assert!(!selects("!canary", json!({"canary": "true"})));
    }

    #[test]
    fn integer_comparisons() {
        assert!(selects("replicas>2", json!({"replicas": "3"})));
        assert!(!selects("replicas>2", json!({"replicas": "2"})));
        assert!(!selects("replicas>2", json!({"replicas": "many"})));
        assert!(selects("replicas<2", json!({"replicas": "1"})));
        assert!(!selects("replicas<2", json!({})));
        assert!(label_error_text("replicas>two").contains("the value must be an integer"));
    }

    #[test]
    fn combinations_whitespace_prefixes_and_empty_values() {
        let selector = " env in ( prod , staging ) , tier != frontend,!canary , app.kubernetes.io/name=web ";
        assert!(selects(
            selector,
            json!({"env": "prod", "tier": "backend", "app.kubernetes.io/name": "web"})
        ));
        assert!(!selects(
            selector,
            json!({"env": "prod", "tier": "backend", "canary": "1", "app.kubernetes.io/name": "web"})
        ));
        assert!(!selects(
            selector,
            json!({"env": "prod", "tier": "frontend", "app.kubernetes.io/name": "web"})
        ));
        assert!(selects("example.com/owner=", json!({"example.com/owner": ""})));
        assert!(selects("a=,b", json!({"a": "", "b": "x"})));
        assert!(selects("a in ()", json!({"a": ""})));
        assert!(selects("a in (,x)", json!({"a": ""})));
        assert!(selects("a in (x,)", json!({"a": ""})));
        assert!(selects("a notin (x,,y)", json!({"a": "z"})));
        assert!(selects("in=notin", json!({"in": "notin"})));
        assert!(selects("k in (in, notin)", json!({"k": "in"})));
    }

    #[test]
    fn matches_object_reads_metadata_labels() {
        let selector = LabelSelector::parse("app=web,!canary").expect("selector parses");
        assert!(selector.matches_object(&json!({"metadata": {"labels": {"app": "web"}}})));
        assert!(!selector.matches_object(&json!({"metadata": {"name": "no-labels"}})));
        let negative = LabelSelector::parse("app!=web").expect("selector parses");
        assert!(negative.matches_object(&json!({})));
    }

    #[test]
    fn parse_errors_name_the_offending_part() {
        assert_eq!(
            label_error_text("a x"),
            "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(label_error_text("a in b"), "unable to parse requirement: found 'b', expected: '('");
        assert_eq!(
            label_error_text("a in (b"),
            "unable to parse requirement: found '', expected: ',' or ')'"
        );
        assert_eq!(
            label_error_text("a in (b c)"),
            "unable to parse requirement: found 'c', expected: ',' or ')'"
        );
        assert_eq!(label_error_text(",a"), "found ',', expected: !, identifier, or 'end of string'");
        assert_eq!(label_error_text("a,"), "found '', expected: identifier after ','");
        assert_eq!(label_error_text("!a=b"), "found '=', expected: ',' or 'end of string'");
        assert_eq!(label_error_text("a=(b)"), "unable to parse requirement: found '(', expected: identifier");
        assert_eq!(label_error_text("!=a"), "found '!=', expected: !, identifier, or 'end of string'");
        assert!(label_error_text("-a=b").contains("key: Invalid value: \"-a\": name part must consist"));
        assert!(label_error_text("a/b/c=d").contains("a qualified name must consist"));
        assert!(label_error_text("Example.com/a=d").contains("prefix part a lowercase RFC 1123 subdomain"));
        assert!(label_error_text("/a=d").contains("prefix part must be non-empty"));
        assert!(label_error_text("a=b!").contains("found '!', expected: ',' or 'end of string'"));
        assert!(label_error_text("a=-b").contains("values[0]: Invalid value: \"-b\""));
        assert!(label_error_text(&format!("a={}", "v".repeat(64))).contains("no more than 63 characters"));
        assert!(label_error_text("a in (x,-y)").contains("values[1]: Invalid value: \"-y\""));
    }

    #[test]
    fn from_match_labels_requires_every_label() {
        let map =
            BTreeMap::from([("app".to_owned(), "web".to_owned()), ("tier".to_owned(), "db".to_owned())]);
        let selector = LabelSelector::from_match_labels(&map);
        assert!(selector.matches(&labels(json!({"app": "web", "tier": "db", "x": "1"}))));
        assert!(!selector.matches(&labels(json!({"app": "web"}))));
        assert!(LabelSelector::from_match_labels(&BTreeMap::new()).matches(&Map::new()));
    }

    #[test]
    fn from_label_selector_value_all_operators() {
        let selector = LabelSelector::from_label_selector_value(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "staging"]},
                {"key": "tier", "operator": "NotIn", "values": ["frontend"]},
                {"key": "team", "operator": "Exists"},
                {"key": "canary", "operator": "DoesNotExist", "values": []}
            ]
        }))
        .expect("selector is valid");
        assert!(selector.matches(&labels(json!({"app": "web", "env": "prod", "team": "a"}))));
        assert!(!selector.matches(&labels(json!({"app": "web", "env": "prod", "team": "a", "canary": "1"}))));
        assert!(
            !selector.matches(&labels(json!({"app": "web", "env": "prod", "tier": "frontend", "team": "a"})))
        );
        assert!(!selector.matches(&labels(json!({"app": "web", "env": "dev", "team": "a"}))));
        assert!(!selector.matches(&labels(json!({"env": "prod", "team": "a"}))));
    }

    #[test]
    fn from_label_selector_value_null_and_empty() {
        let nothing = LabelSelector::from_label_selector_value(&Value::Null).expect("null is valid");
        assert!(!nothing.matches(&Map::new()));
        assert!(!nothing.matches_object(&json!({"metadata": {"labels": {"a": "b"}}})));
        let everything = LabelSelector::from_label_selector_value(&json!({})).expect("{} is valid");
        assert!(everything.matches(&Map::new()));
    }

    #[test]
    fn from_label_selector_value_errors() {
        let error = |value: Value| {
            LabelSelector::from_label_selector_value(&value).expect_err("selector is invalid").to_string()
        };
        assert!(
            error(json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}))
                .contains("values set can't be empty")
        );
        assert!(
            error(json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}))
                .contains("values set must be empty")
        );
        assert_eq!(
            error(json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})),
            "matchExpressions[0].operator: Invalid value: \"Gt\": not a valid selector operator"
        );
        assert!(error(json!({"matchExpressions": [{"operator": "Exists"}]})).contains("key: Required value"));
        assert!(error(json!({"matchLabels": {"a": 1}})).contains("matchLabels.a: Invalid value: 1"));
        assert!(error(json!({"matchLabels": {"a": "-x"}})).contains("matchLabels.a: Invalid value: \"-x\""));
        assert!(error(json!({"matchLabels": ["a"]})).contains("must be a map"));
        assert!(error(json!("app=web")).contains("expected a map"));
    }

    fn pod(name: &str, phase: Option<&str>, node: Option<&str>) -> Value {
        let mut pod = json!({"metadata": {"name": name, "namespace": "default"}, "spec": {}, "status": {}});
        if let Some(phase) = phase {
            pod["status"]["phase"] = json!(phase);
        }
        if let Some(node) = node {
            pod["spec"]["nodeName"] = json!(node);
        }
        pod
    }

    fn fields(selector: &str) -> FieldSelector {
        FieldSelector::parse(selector).expect("field selector parses")
    }

    #[test]
    fn field_selector_equality_and_inequality() {
        let running = pod("a", Some("Running"), Some("node-1"));
        let pending = pod("b", Some("Pending"), None);
        assert!(fields("metadata.name=a").matches_object(&running));
        assert!(fields("metadata.name==a").matches_object(&running));
        assert!(!fields("metadata.name=a").matches_object(&pending));
        assert!(fields("status.phase!=Running").matches_object(&pending));
        assert!(!fields("status.phase!=Running").matches_object(&running));
        assert!(fields("metadata.namespace=default,status.phase=Running").matches_object(&running));
        assert!(!fields("metadata.namespace=default,status.phase=Running").matches_object(&pending));
        assert!(fields(" spec.nodeName = node-1 ").matches_object(&running));
    }

    #[test]
    fn field_selector_missing_fields_compare_as_empty() {
        let scheduled = pod("a", None, Some("node-1"));
        let unscheduled = pod("b", None, None);
        assert!(fields("spec.nodeName=").matches_object(&unscheduled));
        assert!(!fields("spec.nodeName=").matches_object(&scheduled));
        assert!(fields("spec.nodeName!=").matches_object(&scheduled));
        assert!(fields("status.phase=").matches_object(&json!({})));
        assert!(!fields("spec.version=v1").matches_object(&json!({"spec": {"version": null}})));
        assert!(
            fields("spec.replicas=3,spec.paused=true")
                .matches_object(&json!({"spec": {"replicas": 3, "paused": true}}))
        );
    }

    #[test]
    fn field_selector_empty_escapes_and_fields() {
        let everything = fields("");
        assert_eq!(everything, FieldSelector::default());
        assert!(everything.matches_object(&json!({})));
        assert_eq!(fields("a=1,,").fields().collect::<Vec<_>>(), ["a"]);

        let escaped = fields(r"metadata.name=a\,b\=c\\d,spec.clusterName!=x");
        assert!(escaped.matches_object(&json!({"metadata": {"name": r"a,b=c\d"}})));
        assert_eq!(escaped.fields().collect::<Vec<_>>(), ["metadata.name", "spec.clusterName"]);
    }

    #[test]
    fn field_selector_errors() {
        let error =
            |selector: &str| FieldSelector::parse(selector).expect_err("selector is invalid").to_string();
        assert_eq!(
            error("metadata.name"),
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
        );
        assert_eq!(error("a=b,=c"), "invalid selector: 'a=b,=c'; can't understand '=c'");
        assert_eq!(error("a=b=c"), "invalid field selector: unescaped character in value: =");
        assert_eq!(error(r"a=b\x"), r"invalid field selector: invalid escape sequence: \x");
        assert_eq!(error(r"a=b\"), r"invalid field selector: invalid escape sequence: \");
        assert!(matches!(FieldSelector::parse("x"), Err(SelectorError::InvalidFieldSelector { .. })));
    }
}
