//! Helpers shared by the emulator's HTTP-level tests: signing, request bodies, zips, a
//! callback receiver.
#![allow(dead_code, unreachable_pub)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use serde_json::{Map, Value, json};
use smile_emulator::Emulator;
use tokio::sync::mpsc;

#[allow(unused_imports)] // not every test binary reads vectors
pub use smile_testdata::{fixture, interop};

pub fn signer(api_key: &str, partner_id: &str) -> smile_sign::Signer {
    smile_sign::Signer::new(smile_types::PartnerId::new(partner_id), api_key.to_owned())
}

pub fn sign(api_key: &str, partner_id: &str, timestamp: &str) -> String {
    signer(api_key, partner_id).sign(timestamp)
}

/// Verifies a signed response body (timestamp + signature) with smile-sign.
pub fn verify(api_key: &str, partner_id: &str, body: &Value) -> bool {
    let (Some(ts), Some(sig)) = (body["timestamp"].as_str(), body["signature"].as_str()) else {
        return false;
    };
    signer(api_key, partner_id).verify(ts, sig).is_ok()
}

pub fn timestamp() -> String {
    smile_sign::format_timestamp(SystemTime::now())
}

/// A test client for one emulator.
pub struct Api {
    pub base: String,
    pub origin: String,
    pub partner_id: String,
    pub api_key: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(emulator: &Emulator) -> Self {
        use secrecy::ExposeSecret;
        Self {
            base: emulator.base_url().to_owned(),
            origin: emulator.origin().to_owned(),
            partner_id: emulator.partner_id().to_owned(),
            api_key: emulator.api_key().expose_secret().to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// `(timestamp, signature)` for now.
    pub fn signed(&self) -> (String, String) {
        let ts = timestamp();
        let sig = sign(&self.api_key, &self.partner_id, &ts);
        (ts, sig)
    }

    pub fn prep_body(
        &self,
        user_id: &str,
        job_id: &str,
        job_type: u32,
        callback: Option<&str>,
    ) -> Map<String, Value> {
        let (ts, sig) = self.signed();
        let mut m = Map::new();
        m.insert("file_name".into(), json!("selfie.zip"));
        m.insert("smile_client_id".into(), json!(self.partner_id));
        m.insert(
            "partner_params".into(),
            json!({"user_id": user_id, "job_id": job_id, "job_type": job_type}),
        );
        m.insert("model_parameters".into(), json!({}));
        if let Some(cb) = callback {
            m.insert("callback_url".into(), json!(cb));
        }
        m.insert("use_enrolled_image".into(), json!(false));
        m.insert("retry".into(), json!(false));
        m.insert("source_sdk".into(), json!("rust"));
        m.insert("source_sdk_version".into(), json!("0.1.0"));
        m.insert("timestamp".into(), json!(ts));
        m.insert("signature".into(), json!(sig));
        m
    }

    /// [`prep_body`](Self::prep_body) signed with `timestamp` instead of now.
    pub fn prep_body_at(
        &self,
        user_id: &str,
        job_id: &str,
        job_type: u32,
        timestamp: &str,
    ) -> Map<String, Value> {
        let mut body = self.prep_body(user_id, job_id, job_type, None);
        body.insert("timestamp".into(), json!(timestamp));
        body.insert(
            "signature".into(),
            json!(sign(&self.api_key, &self.partner_id, timestamp)),
        );
        body
    }

    /// A prep upload with `retry: true` (no extras, no callback).
    pub async fn prep_retry(&self, user_id: &str, job_id: &str, job_type: u32) -> (u16, Value) {
        let mut retry = self.prep_body(user_id, job_id, job_type, None);
        retry.insert("retry".into(), json!(true));
        self.post("upload", &Value::Object(retry)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        send(self.http.post(format!("{}/{path}", self.base)).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let req = self
            .http
            .post(format!("{}/{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        send(req).await
    }

    pub async fn prep(
        &self,
        user_id: &str,
        job_id: &str,
        job_type: u32,
        extras: &[(&str, &str)],
        callback: Option<&str>,
    ) -> (u16, Value) {
        let mut body = self.prep_body(user_id, job_id, job_type, callback);
        let pp = body["partner_params"].as_object_mut().unwrap();
        for (k, v) in extras {
            pp.insert((*k).to_owned(), json!(v));
        }
        self.post("upload", &Value::Object(body)).await
    }

    pub async fn put_zip(&self, url: &str, zip: Vec<u8>) -> (u16, String) {
        let resp = self
            .http
            .put(url)
            .header("content-type", "application/zip")
            .body(zip)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn job_status(
        &self,
        user_id: &str,
        job_id: &str,
        history: bool,
        image_links: bool,
    ) -> (u16, Value) {
        let (ts, sig) = self.signed();
        let body = json!({
            "partner_id": self.partner_id, "user_id": user_id, "job_id": job_id,
            "image_links": image_links, "history": history, "timestamp": ts, "signature": sig,
        });
        self.post("job_status", &body).await
    }

    /// Prep + info.json + zip + PUT for a selfie-only job with the given extras; returns the
    /// prep response.
    pub async fn submit(
        &self,
        user_id: &str,
        job_id: &str,
        job_type: u32,
        extras: &[(&str, &str)],
        callback: Option<&str>,
    ) -> Value {
        let (status, prep) = self.prep(user_id, job_id, job_type, extras, callback).await;
        assert_eq!(status, 200, "prep upload: {prep}");
        let zip = self.selfie_zip(&prep, user_id, job_id, job_type, extras, callback);
        let (status, body) = self
            .put_zip(prep["upload_url"].as_str().unwrap(), zip)
            .await;
        assert_eq!(status, 200, "PUT: {body}");
        prep
    }

    /// The zip of a selfie-only job: our info.json for `prep` (signed now) and the selfie.
    pub fn selfie_zip(
        &self,
        prep: &Value,
        user_id: &str,
        job_id: &str,
        job_type: u32,
        extras: &[(&str, &str)],
        callback: Option<&str>,
    ) -> Vec<u8> {
        let info = info_json(
            &self.partner_id,
            prep,
            user_id,
            job_id,
            job_type,
            extras,
            callback,
            &self.signed(),
        );
        store_zip(&[
            ("info.json", info.into_bytes()),
            ("selfie.jpg", fixture("selfie.jpg")),
        ])
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/__emulator/{path}", self.origin));
        if let Some(b) = body {
            req = req.json(&b);
        } else {
            // The control API refuses POSTs that are not JSON, body or not.
            req = req.header("content-type", "application/json");
        }
        send(req).await
    }
}

/// Sends `req`; the status and the body of the response (JSON, or the text as a JSON string).
async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// An info.json with the given `images` and `id_info` (otherwise as [`info_json`]).
pub fn info_json_with(
    api: &Api,
    prep: &Value,
    user_id: &str,
    job_id: &str,
    job_type: u32,
    images: Value,
    id_info: Value,
) -> String {
    let text = info_json(
        &api.partner_id,
        prep,
        user_id,
        job_id,
        job_type,
        &[],
        None,
        &api.signed(),
    );
    let mut info: Value = serde_json::from_str(&text).unwrap();
    info["images"] = images;
    info["id_info"] = id_info;
    info.to_string()
}

/// An info.json like ours (docs/protocol.md §5.5) for a selfie-only job.
#[allow(clippy::too_many_arguments)]
pub fn info_json(
    partner_id: &str,
    prep: &Value,
    user_id: &str,
    job_id: &str,
    job_type: u32,
    extras: &[(&str, &str)],
    callback: Option<&str>,
    signed: &(String, String),
) -> String {
    let mut pp = json!({"user_id": user_id, "job_id": job_id, "job_type": job_type});
    for (k, v) in extras {
        pp[*k] = json!(v);
    }
    let mut misc = json!({
        "timestamp": signed.0, "signature": signed.1, "retry": "false",
        "partner_params": pp, "file_name": "selfie.zip", "smile_client_id": partner_id,
    });
    if let Some(cb) = callback {
        misc["callback_url"] = json!(cb);
    }
    misc["userData"] = json!({"isVerifiedProcess": false, "name": "", "fbUserID": "", "firstName": "", "lastName": "", "gender": "", "email": "", "phone": "", "countryCode": "+", "countryName": ""});
    json!({
        "package_information": {"apiVersion": {"buildNumber": 0, "majorVersion": 2, "minorVersion": 0}, "language": "rust"},
        "misc_information": misc,
        "id_info": {"entered": "false"},
        "images": [{"image_type_id": 0, "image": "", "file_name": "selfie.jpg"}],
        "server_information": prep,
    })
    .to_string()
}

/// A STORE zip written by hand (allows duplicate names, as the Python SDK produces).
pub fn store_zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32fast::hash(data);
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&10u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&0u16.to_le_bytes()); // method STORE
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attr
                h.extend_from_slice(&0u32.to_le_bytes()); // external attr
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A DEFLATE zip (as the official Python SDK writes), via the zip crate.
pub fn deflate_zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A callback receiver on 127.0.0.1: every POST body arrives on the channel; answers with
/// the statuses in `script` first (then 200).
pub struct Receiver {
    pub url: String,
    pub bodies: mpsc::UnboundedReceiver<Bytes>,
    _server: tokio::task::JoinHandle<()>,
}

pub async fn receiver(script: Vec<u16>) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let script = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(
        script,
    )));
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::post(move |body: Bytes| {
            let tx = tx.clone();
            let script = Arc::clone(&script);
            async move {
                let _ = tx.send(body);
                let status = script.lock().unwrap().pop_front().unwrap_or(200);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url: format!("http://{addr}/callback"),
        bodies: rx,
        _server: server,
    }
}

impl Receiver {
    /// The next callback body (panics after 20 s: a safety net, not a timing assertion).
    pub async fn next(&mut self) -> Value {
        let body = tokio::time::timeout(Duration::from_secs(20), self.bodies.recv())
            .await
            .expect("a callback within 20 s")
            .expect("receiver open");
        serde_json::from_slice(&body).unwrap()
    }
}

/// Polls job_status until job_complete (bounded; a safety net, not a timing assertion).
pub async fn poll_complete(api: &Api, user_id: &str, job_id: &str, history: bool) -> Value {
    for _ in 0..400 {
        let (status, body) = api.job_status(user_id, job_id, history, false).await;
        assert_eq!(status, 200, "{body}");
        if body["job_complete"] == true {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("job {job_id} did not complete");
}
