//! Property tests of the tap: however a body is chunked, the client gets what it should (the
//! upstream's bytes, or the hidden and translated events) and the usage is read; garbage never
//! panics.

use proptest::prelude::*;

use super::*;

/// What a tap hands the client for `body` cut at `cuts`, and the usage it read.
fn tap_through(mut tap: Tap, body: &[u8], cuts: &[usize]) -> (Vec<u8>, Option<Usage>) {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = VecDeque::new();
    let mut from = 0;
    for cut in cuts.into_iter().chain([body.len()]) {
        tap.feed(Bytes::copy_from_slice(&body[from..cut]), &mut out);
        from = cut;
    }
    let usage = tap.finish(&mut out);
    (out.into_iter().flat_map(|b| b.to_vec()).collect(), usage)
}

fn chat_stream(pieces: &[String], usage: Option<(u64, u64)>) -> (Vec<u8>, Vec<u8>) {
    let mut body = String::new();
    for piece in pieces {
        let chunk = serde_json::json!({"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": piece}}]});
        body.push_str(&format!("data: {chunk}\n\n"));
    }
    let mut usage_event = String::new();
    if let Some((input, output)) = usage {
        let chunk = serde_json::json!({"object": "chat.completion.chunk", "choices": [],
            "usage": {"prompt_tokens": input, "completion_tokens": output,
                      "total_tokens": input + output}});
        usage_event = format!("data: {chunk}\n\n");
    }
    let done = "data: [DONE]\n\n";
    let full = format!("{body}{usage_event}{done}").into_bytes();
    let without_usage = format!("{body}{done}").into_bytes();
    (full, without_usage)
}

proptest! {
    #[test]
    fn a_stream_passes_unchanged_and_its_usage_is_read_however_it_is_chunked(
        pieces in proptest::collection::vec("[ -~]{0,12}", 0..10),
        usage in proptest::option::of((0u64..1_000_000, 0u64..1_000_000)),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let (body, _) = chat_stream(&pieces, usage);
        let tap = Tap::for_content_type("text/event-stream; charset=utf-8", false, PlanTap::default());
        let (out, read) = tap_through(tap, &body, &cuts);
        prop_assert_eq!(out, body);
        prop_assert_eq!(read.map(|u| (u.input, u.output)), usage.map(|(i, o)| (Some(i), Some(o))));
    }

    #[test]
    fn the_usage_chunk_clawbox_asked_for_is_hidden_and_still_read(
        pieces in proptest::collection::vec("[ -~]{0,12}", 0..10),
        usage in (0u64..1_000_000, 0u64..1_000_000),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let (body, without_usage) = chat_stream(&pieces, Some(usage));
        let tap = Tap::for_content_type("text/event-stream", true, PlanTap::default());
        let (out, read) = tap_through(tap, &body, &cuts);
        prop_assert_eq!(out, without_usage);
        prop_assert_eq!(read.and_then(|u| u.total()), Some(usage.0 + usage.1));
    }

    #[test]
    fn a_json_answer_passes_unchanged_and_its_usage_is_read(
        input in 0u64..1_000_000,
        output in 0u64..1_000_000,
        text in "[ -~]{0,200}",
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let body = serde_json::json!({"id": "x", "choices": [{"message": {"content": text}}],
            "usage": {"prompt_tokens": input, "completion_tokens": output}}).to_string();
        let tap = Tap::for_content_type("application/json", false, PlanTap::default());
        let (out, read) = tap_through(tap, body.as_bytes(), &cuts);
        prop_assert_eq!(out, body.as_bytes());
        prop_assert_eq!(read.and_then(|u| u.total()), Some(input + output));
    }

    #[test]
    fn garbage_from_a_provider_passes_through_without_a_panic(
        body in proptest::collection::vec(any::<u8>(), 0..800),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        hide in any::<bool>(),
        content_type in prop_oneof![Just("text/event-stream"), Just("application/json")],
    ) {
        let (out, _) = tap_through(Tap::for_content_type(content_type, hide, PlanTap::default()), &body, &cuts);
        if !hide {
            prop_assert_eq!(out, body);
        }
    }

    #[test]
    fn the_plan_event_is_read_and_kept_from_clients_other_than_codex(
        pieces in proptest::collection::vec("[ -~]{0,12}", 0..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
        hide in any::<bool>(),
    ) {
        let plan_event = "event: codex.rate_limits\ndata: {\"type\":\"codex.rate_limits\",\"rate_limits\":{\"primary\":{\"used_percent\":22.0,\"window_minutes\":300,\"reset_at\":1796000000}}}\n\n";
        let (body, _) = chat_stream(&pieces, None);
        let with_plan = [plan_event.as_bytes(), &body].concat();
        let tap = Tap::for_content_type("text/event-stream", false, PlanTap::chatgpt(hide));
        let mut tap = tap;
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (with_plan.len() + 1)).collect();
        cuts.sort_unstable();
        let mut out = VecDeque::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([with_plan.len()]) {
            tap.feed(Bytes::copy_from_slice(&with_plan[from..cut]), &mut out);
            from = cut;
        }
        tap.finish(&mut out);
        let out: Vec<u8> = out.into_iter().flat_map(|b| b.to_vec()).collect();
        prop_assert_eq!(out, if hide { body } else { with_plan });
        let found = tap.plan_found().unwrap();
        prop_assert_eq!(found.windows[0].window_minutes, 300);
    }

    #[test]
    fn a_translated_chatgpt_stream_never_panics_on_garbage(
        body in proptest::collection::vec(any::<u8>(), 0..800),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let _ = tap_through(Tap::chat_translation(true), &body, &cuts);
    }
}
