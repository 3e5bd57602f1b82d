//! The provider's `multipart/form-data` endpoints — audio transcriptions, files, upload parts,
//! image edits — read as a stream (a 100 MB upload is never held whole, here either), and the
//! binary answers: speech audio and a file's content. The form is recorded as a summary (each
//! field's value, or a file's name, size and SHA-256), never the file itself.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// What a form held.
pub(crate) struct Form {
    pub summary: Value,
}

impl Form {
    fn text(&self, name: &str) -> Option<&str> {
        self.summary[name].as_str()
    }

    fn file(&self, name: &str) -> Option<&Value> {
        self.summary.get(name).filter(|v| v.is_object())
    }
}

/// Whether the request is a form upload.
pub(crate) fn is_form(parts: &Parts) -> bool {
    boundary(parts).is_some()
}

fn boundary(parts: &Parts) -> Option<String> {
    let ct = parts.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    multer::parse_boundary(ct).ok()
}

/// Reads the form as it streams in: text fields kept, files hashed and counted.
pub(crate) async fn read(parts: &Parts, body: Body) -> Result<Form, String> {
    let boundary = boundary(parts).ok_or("no boundary")?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut summary = Map::new();
    while let Some(mut field) = form.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(filename) => {
                let content_type = field.content_type().map(ToString::to_string);
                let mut hash = Sha256::new();
                let mut bytes = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
                    bytes += chunk.len() as u64;
                    hash.update(&chunk);
                }
                summary.insert(
                    name,
                    json!({"filename": filename, "bytes": bytes, "content_type": content_type,
                           "sha256": format!("{:x}", hash.finalize())}),
                );
            }
            None => {
                let text = field.text().await.map_err(|e| e.to_string())?;
                summary.insert(name, Value::String(text));
            }
        }
    }
    Ok(Form {
        summary: Value::Object(summary),
    })
}

/// The answer to a form at `path`, as OpenAI gives it; a 400 naming what is missing otherwise.
pub(crate) fn answer(path: &str, form: &Form) -> Response {
    let missing = |what: &str| {
        let body = json!({"error": {"message": format!("{what} is required"), "type": "invalid_request_error"}});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    };
    let now = 1_763_942_400;
    match path {
        "/v1/audio/transcriptions" | "/v1/audio/translations" => {
            let Some(file) = form.file("file") else {
                return missing("file");
            };
            let Some(model) = form.text("model") else {
                return missing("model");
            };
            let text = format!(
                "Heard {} bytes of {}",
                file["bytes"],
                file["filename"].as_str().unwrap_or("audio")
            );
            // Whisper reports seconds; the GPT-4o transcribers report tokens.
            let usage = if model.starts_with("whisper") {
                json!({"type": "duration", "seconds": 1})
            } else {
                json!({"type": "tokens", "input_tokens": 14, "input_token_details": {"text_tokens": 0, "audio_tokens": 14},
                       "output_tokens": 6, "total_tokens": 20})
            };
            axum::Json(json!({"text": text, "usage": usage})).into_response()
        }
        "/v1/files" => {
            let Some(file) = form.file("file") else {
                return missing("file");
            };
            let Some(purpose) = form.text("purpose") else {
                return missing("purpose");
            };
            axum::Json(
                json!({"id": "file-fake", "object": "file", "bytes": file["bytes"],
                "created_at": now, "filename": file["filename"], "purpose": purpose,
                "status": "processed", "expires_at": null, "status_details": null}),
            )
            .into_response()
        }
        "/v1/images/edits" => {
            if form.file("image").is_none() && form.file("image[]").is_none() {
                return missing("image");
            }
            let Some(prompt) = form.text("prompt") else {
                return missing("prompt");
            };
            let image =
                base64::engine::general_purpose::STANDARD.encode(format!("edited: {prompt}"));
            axum::Json(json!({"created": now, "data": [{"b64_json": image}],
                "usage": {"input_tokens": 50, "input_tokens_details": {"image_tokens": 40, "text_tokens": 10},
                          "output_tokens": 100, "total_tokens": 150}}))
            .into_response()
        }
        p if p.starts_with("/v1/uploads/") && p.ends_with("/parts") => {
            if form.file("data").is_none() {
                return missing("data");
            }
            let upload = p
                .trim_start_matches("/v1/uploads/")
                .trim_end_matches("/parts");
            axum::Json(json!({"id": "part_fake", "object": "upload.part", "created_at": now, "upload_id": upload}))
                .into_response()
        }
        _ => missing("a known endpoint"),
    }
}

/// `POST /v1/audio/speech`: audio bytes that depend only on the request (so a test can compare
/// what came through ClawBox with what the provider sends directly), 48 KiB of them.
pub(crate) fn speech(request: &Value) -> Response {
    binary(
        "audio/mpeg",
        pattern(request["input"].as_str().unwrap_or(""), 48 * 1024),
    )
}

/// `GET /v1/files/{id}/content`: the file's bytes.
pub(crate) fn file_content(id: &str) -> Response {
    binary("application/octet-stream", pattern(id, 20_000))
}

fn binary(content_type: &'static str, bytes: Vec<u8>) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes))
        .unwrap_or_default()
}

/// `len` bytes derived from `seed` (every byte value occurs: the answer is binary, not text).
pub fn pattern(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut block = Sha256::digest(seed.as_bytes());
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    out.truncate(len);
    out
}
