//! Editing JSON and JSON5 configuration files in place: jsonc-parser's syntax tree keeps the
//! user's comments, quoting, trailing commas and order; only the values ClawBox sets change.

use std::path::Path;

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};

use crate::Error;
use crate::connect_error;

/// Parses `text` (empty: `{}`) as JSON5, with comments.
pub fn parse(path: &Path, text: &str) -> Result<CstRootNode, Error> {
    let text = if text.trim().is_empty() { "{}\n" } else { text };
    CstRootNode::parse(text, &ParseOptions::default()).map_err(|e| {
        connect_error(
            path,
            &format!("it is not valid JSON ({e}); fix it, then connect again"),
        )
    })
}

/// The root object, or an error when the file holds something else.
pub fn root_object(path: &Path, root: &CstRootNode) -> Result<CstObject, Error> {
    root.object_value_or_create().ok_or_else(|| {
        connect_error(
            path,
            "it must be one JSON object; fix it, then connect again",
        )
    })
}

/// `object[name]` as an object, created when missing; an error when it is something else.
pub fn child(path: &Path, object: &CstObject, name: &str) -> Result<CstObject, Error> {
    object.object_value_or_create(name).ok_or_else(|| {
        connect_error(
            path,
            &format!("\"{name}\" is not an object; fix it, then connect again"),
        )
    })
}

/// Sets `object[name]` to `value` (keeping the property where it is when it exists).
pub fn set(object: &CstObject, name: &str, value: CstInputValue) {
    match object.get(name) {
        Some(prop) => prop.set_value(value),
        None => {
            object.append(name, value);
        }
    }
}

/// Removes `object[name]` if present.
pub fn remove(object: &CstObject, name: &str) {
    if let Some(prop) = object.get(name) {
        prop.remove();
    }
}

pub fn text(s: impl Into<String>) -> CstInputValue {
    CstInputValue::String(s.into())
}
