//! Hostile load: slow-body floods against the connection cap, and DEFLATE bombs against the
//! inflate budget.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use smile_emulator::Emulator;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How a slow-body connection ended, and when (from the end of its request head).
#[derive(Debug)]
struct SlowEnd {
    response: String,
    after: Duration,
}

/// Opens a connection that sends a request head announcing a 100 000-byte body, then trickles
/// it one byte every 100 ms (never pausing long), until the emulator closes the connection.
async fn slow_body(addr: SocketAddr) -> tokio::task::JoinHandle<SlowEnd> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    tokio::spawn(async move {
        let head = "POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{";
        let sent = Instant::now();
        if stream.write_all(head.as_bytes()).await.is_err() {
            return SlowEnd {
                response: String::new(),
                after: sent.elapsed(),
            };
        }
        let mut response = Vec::new();
        let mut buf = [0u8; 4096];
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut writing = true;
        // A safety net (not a timing assertion): the emulator cuts these off long before.
        let give_up = tokio::time::sleep(Duration::from_secs(30));
        tokio::pin!(give_up);
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => response.extend_from_slice(&buf[..n]),
                },
                _ = tick.tick(), if writing => {
                    writing = stream.write_all(b" ").await.is_ok();
                }
                () = &mut give_up => panic!("a slow connection was never closed"),
            }
        }
        SlowEnd {
            response: String::from_utf8_lossy(&response).into_owned(),
            after: sent.elapsed(),
        }
    })
}

/// Waits (bounded; a safety net) until `done` holds for the emulator's stats.
async fn until_stats(emulator: &Emulator, done: impl Fn(&smile_emulator::Stats) -> bool) {
    for _ in 0..1000 {
        if done(&emulator.stats()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("stats never matched: {:?}", emulator.stats());
}

/// 40 connections trickling request bodies against a cap of 16: a legitimate request still
/// gets in at once (an idle or slow connection is shed for it), and the slow connections that
/// kept a slot are cut with 408 when the body-read timeout passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_cannot_lock_out_other_clients() {
    const CAP: usize = 16;
    const SLOW: usize = 40;
    const BODY_TIMEOUT: Duration = Duration::from_secs(3);
    let emulator = Emulator::builder()
        .max_connections(CAP)
        .body_read_timeout(BODY_TIMEOUT)
        .start()
        .await
        .unwrap();
    let addr = emulator.local_addr();
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        slow.push(slow_body(addr).await);
    }
    // Every slow connection is in (the last 24 each shed one to get a slot).
    until_stats(&emulator, |s| {
        s.connections_shed == (SLOW - CAP) as u64 && s.connections_open == CAP
    })
    .await;

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let resp = client
        .get(format!("{}/services", emulator.base_url()))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    let legit = started.elapsed();
    let stats = emulator.stats();
    assert_eq!(status, 200);
    assert!(body["hosted_web"].is_object(), "{body}");
    // It got a slot by shedding, not by waiting for a slow body to time out.
    assert_eq!(stats.body_read_timeouts, 0, "{stats:?}");
    assert_eq!(stats.connections_shed, (SLOW - CAP + 1) as u64, "{stats:?}");
    assert!(legit < BODY_TIMEOUT, "legit request took {legit:?}");
    println!(
        "legitimate GET /v1/services under a {SLOW}-connection slow-body flood (cap {CAP}): {legit:?}"
    );

    let mut timed_out = 0;
    let mut shed = 0;
    for task in slow {
        let end = task.await.unwrap();
        if end.response.is_empty() {
            shed += 1;
        } else {
            timed_out += 1;
            assert!(
                end.response.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
                "{end:?}"
            );
            assert!(end.response.contains("connection: close\r\n"), "{end:?}");
            assert!(
                end.response
                    .contains("the request body did not arrive within 3000 ms"),
                "{end:?}"
            );
            // Cut at the timeout (in total, although bytes kept coming), not before and not
            // much later.
            assert!(
                end.after >= BODY_TIMEOUT && end.after < BODY_TIMEOUT + Duration::from_secs(8),
                "{end:?}"
            );
        }
    }
    let stats = emulator.stats();
    assert_eq!(shed, SLOW - CAP + 1, "shed connections see no response");
    assert_eq!(
        timed_out,
        CAP - 1,
        "the rest are cut by the body-read timeout"
    );
    assert_eq!(stats.body_read_timeouts, (CAP - 1) as u64, "{stats:?}");
    assert!(stats.connections_high_water <= CAP, "{stats:?}");
    drop(client); // its keep-alive connection
    until_stats(&emulator, |s| s.connections_open == 0).await;
}

/// A zip that inflates to `inflated` bytes (zeros, DEFLATE) around a valid job-2 package.
fn bomb(api: &Api, prep: &Value, job_id: &str, inflated: usize) -> Vec<u8> {
    let info = info_json(
        &api.partner_id,
        prep,
        "u",
        job_id,
        2,
        &[],
        None,
        &api.signed(),
    );
    deflate_zip(&[
        ("info.json", info.into_bytes()),
        ("selfie.jpg", fixture("selfie.jpg")),
        ("padding", vec![0u8; inflated]),
    ])
}

/// Concurrent DEFLATE bombs (7 KB each, inflating to 1 MiB) against a budget that holds two
/// of them: every upload completes
/// (waiting its turn) or is refused with 503 SlowDown, and the bytes reserved at once never
/// exceed the budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deflate_bombs_share_the_inflate_budget() {
    const MIB: usize = 1 << 20;
    const BUDGET: usize = 5 * MIB / 2;
    const BOMBS: usize = 8;
    let emulator = Emulator::builder()
        .processing_delay(Duration::ZERO)
        .max_zip_body(MIB / 2) // one zip may inflate to 2 MiB
        .max_inflated_in_flight(BUDGET)
        .inflate_wait(Duration::from_secs(20))
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    let mut uploads = Vec::new();
    for i in 0..BOMBS {
        let job_id = format!("bomb-{i}");
        let (status, prep) = api.prep("u", &job_id, 2, &[], None).await;
        assert_eq!(status, 200, "{prep}");
        let zip = bomb(&api, &prep, &job_id, MIB);
        assert!(zip.len() < 10_000, "{} bytes", zip.len());
        uploads.push((job_id, prep["upload_url"].as_str().unwrap().to_owned(), zip));
    }
    let puts = uploads
        .iter()
        .map(|(_, url, zip)| raw_put(url.clone(), zip.clone()));
    let results = futures_join_all(puts).await;
    for ((job_id, _, _), (status, _, body)) in uploads.iter().zip(&results) {
        assert_eq!(*status, 200, "{job_id}: {body}");
        let s = poll_complete(&api, "u", job_id, false).await;
        assert_eq!(s["result"]["ResultCode"], "0820", "{job_id}: {s}");
    }
    let stats = emulator.stats();
    assert_eq!(stats.inflate_budget, BUDGET);
    assert!(
        stats.inflate_high_water <= BUDGET,
        "high water {} over the budget {BUDGET}",
        stats.inflate_high_water
    );
    assert!(
        stats.inflate_high_water >= MIB,
        "every bomb reserved what it declares: {stats:?}"
    );
    assert_eq!(stats.inflate_in_use, 0, "{stats:?}");
    assert_eq!(stats.uploads_refused_busy, 0, "{stats:?}");
    println!(
        "{BOMBS} concurrent 1 MiB bombs, budget {BUDGET}: high water {} bytes",
        stats.inflate_high_water
    );
}

/// With no wait, a bomb that finds the budget taken is refused with the storage service's 503
/// SlowDown and `Retry-After: 1`; its upload URL still works, so the retried `PUT` succeeds.
/// A zip declaring more than the whole budget fails its job with 0903.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_inflate_budget_refuses_with_slow_down_and_a_retry_succeeds() {
    const MIB: usize = 1 << 20;
    const BUDGET: usize = 3 * MIB / 2;
    let emulator = Emulator::builder()
        .processing_delay(Duration::ZERO)
        .max_zip_body(MIB / 2)
        .max_inflated_in_flight(BUDGET)
        .inflate_wait(Duration::ZERO)
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    let mut uploads = Vec::new();
    for i in 0..6 {
        let job_id = format!("bomb-{i}");
        let (_, prep) = api.prep("u", &job_id, 2, &[], None).await;
        let zip = bomb(&api, &prep, &job_id, MIB);
        uploads.push((job_id, prep["upload_url"].as_str().unwrap().to_owned(), zip));
    }
    let results = futures_join_all(
        uploads
            .iter()
            .map(|(_, url, zip)| raw_put(url.clone(), zip.clone())),
    )
    .await;
    for ((job_id, url, zip), (status, retry_after, body)) in uploads.iter().zip(results) {
        match status {
            200 => {}
            503 => {
                assert_eq!(retry_after.as_deref(), Some("1"), "{job_id}");
                assert!(body.contains("<Code>SlowDown</Code>"), "{job_id}: {body}");
                let job = emulator.state().job(job_id).unwrap();
                assert_eq!(job.phase, smile_emulator::JobPhase::AwaitingUpload);
                let (status, _) = api.put_zip(url, zip.clone()).await;
                assert_eq!(status, 200, "{job_id}: the retried PUT");
            }
            other => panic!("{job_id}: HTTP {other}: {body}"),
        }
        let s = poll_complete(&api, "u", job_id, false).await;
        assert_eq!(s["result"]["ResultCode"], "0820", "{job_id}: {s}");
    }
    let stats = emulator.stats();
    assert!(stats.inflate_high_water <= BUDGET, "{stats:?}");
    assert_eq!(stats.inflate_in_use, 0);
    println!(
        "6 concurrent 1 MiB bombs, budget {BUDGET}, no wait: {} refused with 503 (then retried)",
        stats.uploads_refused_busy
    );

    // 2 MiB declared: more than the whole 1.5 MiB budget, so more than any upload may inflate
    // to here (4 x 512 KiB would allow 2 MiB).
    let (_, prep) = api.prep("u", "too-big", 2, &[], None).await;
    let zip = bomb(&api, &prep, "too-big", 2 * MIB);
    let (status, _) = api.put_zip(prep["upload_url"].as_str().unwrap(), zip).await;
    assert_eq!(status, 200, "a storage service does not look inside");
    let s = poll_complete(&api, "u", "too-big", false).await;
    assert_eq!(s["result"]["ResultCode"], "0903", "{s}");
    let detail = s["result"]["EmulatorDetail"].as_str().unwrap();
    assert!(
        detail.contains(&format!(
            "more than the {BUDGET} bytes one upload may inflate to"
        )),
        "{detail}"
    );
}

/// A `PUT` of `zip` to `url`: status, `Retry-After`, body.
async fn raw_put(url: String, zip: Vec<u8>) -> (u16, Option<String>, String) {
    let resp = reqwest::Client::new()
        .put(url)
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, resp.text().await.unwrap())
}

/// Runs the futures concurrently (on spawned tasks), in order of the results.
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// A keep-alive connection that sends nothing after its response is closed once the idle
/// timeout passes (counted from the response), and a fresh connection is not cut early.
#[tokio::test]
async fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    const IDLE: Duration = Duration::from_millis(400);
    let emulator = Emulator::builder()
        .idle_timeout(IDLE)
        .start()
        .await
        .unwrap();
    let mut conn = TcpStream::connect(emulator.local_addr()).await.unwrap();
    conn.write_all(b"GET /__emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = conn.read(&mut buf).await.unwrap();
    let answered = Instant::now();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));
    // The connection stays open (keep-alive) until the idle timeout.
    let rest = tokio::time::timeout(Duration::from_secs(20), conn.read(&mut buf))
        .await
        .expect("closed by the emulator")
        .unwrap_or(0);
    let idle = answered.elapsed();
    assert_eq!(rest, 0, "closed without another response");
    assert!(
        idle >= IDLE.saturating_sub(Duration::from_millis(20)) && idle < IDLE * 10,
        "closed after {idle:?}"
    );
    until_stats(&emulator, |s| s.connections_open == 0).await;
}
