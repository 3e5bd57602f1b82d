//! Layer 0: every request gets a fresh id (UUIDv7: time-ordered, so the log's primary key grows
//! in order), returned as `x-request-id` and used as its log row's `id`. An id the client sent is
//! not reused: it would let a client collide with another row.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
