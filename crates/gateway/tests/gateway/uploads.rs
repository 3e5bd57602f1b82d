//! Uploads (`multipart/form-data`: audio to transcribe, files, image edits) stream through to
//! the provider with the caller's credential; a form a web page could post never reaches it;
//! binary answers (speech, a file's content) come back byte for byte.

use clawbox_gateway::config::SettingsLayer;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::harness::{Harness, request_id};

fn audio(len: usize) -> Part {
    Part::bytes(vec![7u8; len])
        .file_name("hello.wav")
        .mime_str("audio/wav")
        .unwrap()
}

async fn send(h: &Harness, path: &str, form: Form) -> reqwest::Response {
    h.client
        .post(format!("{}{path}", h.url))
        .bearer_auth("sk-test-caller-key")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_transcription_streams_through_and_is_metered_from_the_answer() {
    let h = Harness::start().await;
    let form = Form::new()
        .text("model", "gpt-4o-transcribe")
        .part("file", audio(30_000));
    let r = send(&h, "/v1/audio/transcriptions", form).await;
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["text"], "Heard 30000 bytes of hello.wav");
    let sent = h.provider.last_request().unwrap();
    assert_eq!(sent.headers["authorization"], "Bearer sk-test-caller-key");
    let form = sent.json();
    assert_eq!(form["model"], "gpt-4o-transcribe");
    assert_eq!(form["file"]["bytes"], 30_000);
    let row = h.row_for(&id).await;
    assert_eq!(row.model.as_deref(), Some("gpt-4o-transcribe"));
    assert_eq!(
        (
            row.tokens_source.as_str(),
            row.tokens_est,
            row.billing.as_deref()
        ),
        ("reported", 20, Some("api"))
    );
}

#[tokio::test]
async fn files_and_image_edits_pass_and_a_model_after_the_file_is_left_empty() {
    let h = Harness::start().await;
    let form = Form::new()
        .part("file", audio(5_000).file_name("batch.jsonl"))
        .text("purpose", "batch");
    let r = send(&h, "/v1/files", form).await;
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let file: Value = r.json().await.unwrap();
    assert_eq!(
        (file["bytes"].clone(), file["purpose"].clone()),
        (json!(5_000), json!("batch"))
    );
    assert_eq!(h.row_for(&id).await.model, None);

    // A part of a large upload (the Uploads API), as the SDKs send it.
    let form = Form::new().part("data", audio(8_000).file_name("part"));
    let r = send(&h, "/v1/uploads/upload_abc/parts", form).await;
    assert_eq!(r.status(), 200);
    let part: Value = r.json().await.unwrap();
    assert_eq!(part["upload_id"], "upload_abc");

    let form = Form::new()
        .part("image", audio(2_000).file_name("cat.png"))
        .text("prompt", "add a hat")
        .text("model", "gpt-image-1");
    let r = send(&h, "/v1/images/edits", form).await;
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    r.bytes().await.unwrap();
    let row = h.row_for(&id).await;
    assert_eq!(row.model, None, "the model came after the file");
    assert_eq!(row.tokens_est, 150);
}

#[tokio::test]
async fn a_form_a_web_page_could_send_never_reaches_the_provider() {
    let h = Harness::start().await;
    let form = || {
        Form::new()
            .text("model", "whisper-1")
            .part("file", audio(100))
    };
    let no_credential = h
        .client
        .post(format!("{}/v1/audio/transcriptions", h.url))
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(no_credential.status(), 415);
    let foreign = h
        .client
        .post(format!("{}/v1/audio/transcriptions", h.url))
        .bearer_auth("sk-test-caller-key")
        .header("origin", "https://evil.example")
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(
        h.provider.requests().is_empty(),
        "nothing reached the provider"
    );
}

#[tokio::test]
async fn an_upload_past_its_cap_is_refused_whether_or_not_it_says_its_length() {
    let settings = SettingsLayer {
        multipart_limit_mb: Some(1),
        ..SettingsLayer::default()
    };
    let h = Harness::with(json!({}), settings).await;
    let known = Form::new()
        .text("purpose", "batch")
        .part("file", audio(2 * 1024 * 1024));
    let r = send(&h, "/v1/files", known).await;
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit of 1 MB"),
        "{body}"
    );
    assert!(h.provider.requests().is_empty());

    // Chunked, with no length announced: cut off at the cap as it streams.
    let chunks = futures_util::stream::iter(
        (0..32).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![1u8; 64 * 1024]))),
    );
    let unknown = Form::new().text("purpose", "batch").part(
        "file",
        Part::stream(reqwest::Body::wrap_stream(chunks)).file_name("big.jsonl"),
    );
    let r = send(&h, "/v1/files", unknown).await;
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn speech_and_file_content_come_back_byte_for_byte() {
    let h = Harness::start().await;
    let r = h
        .post(
            "/v1/audio/speech",
            &json!({"model": "gpt-4o-mini-tts", "voice": "alloy", "input": "hello there"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/mpeg");
    let id = request_id(&r);
    let audio = r.bytes().await.unwrap();
    assert_eq!(
        audio.as_ref(),
        clawbox_testkit::pattern("hello there", 48 * 1024)
    );
    // Audio is not tokens: only the request's few are estimated.
    assert!(h.row_for(&id).await.tokens_est < 100);

    let r = h
        .get("/v1/files/file-fake/content")
        .bearer_auth("sk-test-caller-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        clawbox_testkit::pattern("file-fake", 20_000)
    );
}

#[tokio::test]
async fn a_slow_upload_is_not_cut_short_but_a_silent_provider_after_it_is() {
    let settings = SettingsLayer {
        idle_timeout: Some(1),
        ..SettingsLayer::default()
    };
    let h = Harness::with(json!({}), settings).await;
    // Four pieces 600 ms apart: 2.4 s in all, each gap under the 1 s idle timeout.
    let slow = || {
        futures_util::stream::unfold(0, |n| async move {
            if n == 4 {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            Some((
                Ok::<_, std::io::Error>(bytes::Bytes::from(vec![2u8; 1000])),
                n + 1,
            ))
        })
    };
    let form = Form::new().text("purpose", "batch").part(
        "file",
        Part::stream(reqwest::Body::wrap_stream(slow())).file_name("slow.jsonl"),
    );
    let r = send(&h, "/v1/files", form).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // A provider that takes the whole upload and then says nothing for longer than the timeout.
    let form = Form::new()
        .text("purpose", "batch")
        .part("file", audio(1000));
    let r = h
        .client
        .post(format!("{}/v1/files", h.url))
        .bearer_auth("sk-test-caller-key")
        .header("x-fake-headers-delay-ms", "3000")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 504);
}
