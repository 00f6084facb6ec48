//! Starting and stopping: TLS, the state file, the blocking start, shutdown on drop.

mod common;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use common::*;
use serde_json::Value;
use smile_emulator::Emulator;

#[tokio::test]
async fn tls_with_a_self_signed_certificate() {
    let emulator = Emulator::builder()
        .tls(true)
        .processing_delay(Duration::ZERO)
        .start()
        .await
        .unwrap();
    assert!(emulator.base_url().starts_with("https://127.0.0.1:"));
    let pem = emulator.cert_pem().expect("a certificate");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = client
        .get(format!("{}/services", emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // The whole flow works over https, upload URL included.
    emulator.state().enrol_user("u");
    let mut api = Api::new(&emulator);
    api.http = client.clone();
    let prep = api.submit("u", "j", 2, &[], None).await;
    assert!(prep["upload_url"].as_str().unwrap().starts_with("https://"));
    let s = poll_complete(&api, "u", "j", false).await;
    assert_eq!(s["result"]["ResultCode"], "0820");
    // A client that does not trust the certificate is refused.
    let err = reqwest::Client::new()
        .get(format!("{}/services", emulator.base_url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let path = std::env::temp_dir().join(format!(
        "smile-emulator-state-{}-{}.json",
        std::process::id(),
        fastrand::u64(..)
    ));
    let builder = || {
        Emulator::builder()
            .processing_delay(Duration::ZERO)
            .state_file(&path)
    };
    {
        let emulator = builder().start().await.unwrap();
        let api = Api::new(&emulator);
        api.submit("u", "enrol", 4, &[], None).await;
        poll_complete(&api, "u", "enrol", false).await;
    }
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["users"][0]["user_id"], "u");
    {
        let emulator = builder().start().await.unwrap();
        assert!(emulator.state().user("u").is_some(), "enrolment kept");
        let api = Api::new(&emulator);
        let (status, s) = api.job_status("u", "enrol", false, false).await;
        assert_eq!(status, 200);
        assert_eq!(s["result"]["ResultCode"], "0840");
        let prep = api.submit("u", "auth", 2, &[], None).await;
        assert_eq!(
            prep["smile_job_id"], "0000000002",
            "the id counter continues"
        );
        let (status, body) = api.prep("u", "enrol", 4, &[], None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("2215")));
    }
    std::fs::write(&path, "not json").unwrap();
    let err = builder().start().await.unwrap_err();
    assert!(
        matches!(err, smile_emulator::Error::StateFile { .. }),
        "{err:?}"
    );
    let _ = std::fs::remove_file(&path);
}

fn http_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[test]
fn blocking_start_and_stop_on_drop() {
    let emulator = Emulator::start_blocking().unwrap();
    let addr = emulator.local_addr();
    let response = http_get(addr, "/__emulator/health").unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"partner_id\":\"001\""), "{response}");
    emulator.state().enrol_user("u");
    assert_eq!(emulator.state().users().len(), 1);
    drop(emulator);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens after drop"
    );
}

#[tokio::test]
async fn async_emulator_stops_on_drop() {
    let emulator = Emulator::start().await.unwrap();
    let addr = emulator.local_addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    drop(emulator);
    // The accept loop ends on its next turn.
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the port is closed after drop");
}

#[tokio::test]
async fn the_api_key_never_shows_in_debug_output() {
    let emulator = Emulator::builder()
        .api_key("very-secret-key-123")
        .start()
        .await
        .unwrap();
    let text = format!(
        "{emulator:?} {:?} {:?}",
        emulator.config(),
        emulator.state()
    );
    assert!(!text.contains("very-secret-key-123"), "{text}");
    assert!(text.contains("[REDACTED]"));
}
