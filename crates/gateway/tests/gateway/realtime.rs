//! The Realtime API through ClawBox: a WebSocket relayed both ways to the provider with the
//! caller's credential (the local key exchanged for the saved one), refused before the upgrade
//! from a foreign Origin, and one row per connection with the usage the provider reported.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::harness::Harness;

fn request(h: &Harness, key: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = format!(
        "{}/v1/realtime?model=gpt-realtime",
        h.url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    request
}

#[tokio::test]
async fn events_go_both_ways_and_the_connection_is_one_row_with_its_usage() {
    let h = Harness::start().await;
    let (mut socket, response) =
        tokio_tungstenite::connect_async(request(&h, "sk-test-caller-key"))
            .await
            .unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["x-clawbox-upstream"], "openai");
    let mut events = Vec::new();
    let mut read = |text: &str| {
        events.push(
            serde_json::from_str::<Value>(text).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    };
    let Some(Ok(Message::Text(first))) = socket.next().await else {
        panic!("no session.created")
    };
    read(&first);
    for _ in 0..2 {
        socket
            .send(Message::Text(
                json!({"type": "response.create"}).to_string().into(),
            ))
            .await
            .unwrap();
        for _ in 0..3 {
            let Some(Ok(Message::Text(text))) = socket.next().await else {
                panic!("the session ended early")
            };
            read(&text);
        }
    }
    assert_eq!(
        events,
        [
            "session.created",
            "response.created",
            "response.output_text.delta",
            "response.done",
            "response.created",
            "response.output_text.delta",
            "response.done"
        ]
    );
    socket.close(None).await.unwrap();
    let upstream = h.provider.realtime_connections();
    assert_eq!(upstream.len(), 1);
    assert_eq!(upstream[0]["authorization"], "Bearer sk-test-caller-key");
    assert!(upstream[0].get("origin").is_none());

    // One row for the connection, written when it closed: 101, with both responses' usage.
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = h.rows();
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!((row.status, row.endpoint.as_str()), (101, "/v1/realtime"));
    assert_eq!(row.model.as_deref(), Some("gpt-realtime"));
    let (input, output) = clawbox_testkit::REALTIME;
    assert_eq!(
        (row.tokens_source.as_str(), row.tokens_est as u64),
        ("reported", 2 * (input + output))
    );
    assert_eq!(row.error, None);
}

#[tokio::test]
async fn the_local_key_is_exchanged_for_the_saved_key_and_never_goes_upstream() {
    let h = Harness::start().await;
    h.gateway
        .credentials()
        .save_provider_key(
            clawbox_auth::Provider::OpenAi,
            clawbox_auth::Secret::new("sk-saved-openai"),
        )
        .unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(request(&h, &h.local_key()))
        .await
        .unwrap();
    assert!(matches!(socket.next().await, Some(Ok(Message::Text(_)))));
    socket.close(None).await.unwrap();
    let upstream = h.provider.realtime_connections();
    assert_eq!(upstream[0]["authorization"], "Bearer sk-saved-openai");
    assert!(!format!("{:?}", upstream[0]).contains("cbx_"));
}

#[tokio::test]
async fn a_foreign_origin_is_refused_before_the_upgrade() {
    let h = Harness::start().await;
    let mut foreign = request(&h, "sk-test-caller-key");
    foreign
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(foreign).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected a 403 before the upgrade, got {other:?}"),
    }
    // Without a key, ClawBox says which one to send, before any upgrade.
    let mut anonymous = request(&h, "");
    anonymous.headers_mut().remove("authorization");
    match tokio_tungstenite::connect_async(anonymous).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 401);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"]["code"], "missing_api_key", "{body}");
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    assert!(h.provider.realtime_connections().is_empty());
}
