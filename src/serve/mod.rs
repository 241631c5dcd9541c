//! `anskaff serve`: the HTTP service. Policies are loaded and compiled once
//! at start and swapped whole on SIGHUP; requests check records held in
//! memory (never written to disk or logged) and answer with the same reports
//! as `anskaff check`.
//!
//! Layout: [`engine`] runs a check over request bytes (library code, no
//! HTTP), [`api`] the JSON API under `/v1`, [`page`] the officer's web page,
//! [`auth`] the bearer token, [`problem`] RFC 9457 problem documents.

pub mod api;
pub mod auth;
pub mod engine;
pub mod html;
pub mod page;
pub mod problem;

use crate::api::{LoadError, Policies};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// How the service runs; built by the command line (`src/cli/serve.rs`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Policy files or directories.
    pub policy: Vec<PathBuf>,
    /// Parameter overrides (`--set NAME=VALUE`).
    pub sets: Vec<(String, String)>,
    /// The address to listen on, e.g. `127.0.0.1:8080`.
    pub addr: String,
    /// The bearer token API requests must carry (from `--token-file`).
    pub token: Option<auth::Token>,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Longest a request may take, from its headers to its answer.
    pub timeout: Duration,
    /// Requests handled at once; more wait (up to the timeout) for a turn.
    pub max_concurrent: usize,
    /// Open connections at once; more wait to be accepted.
    pub max_connections: usize,
}

/// A set of compiled policies, as loaded at start or by a reload.
pub struct Loaded {
    pub policies: Policies,
    /// How checks run and read their inputs with these policies (cloned
    /// per request: building it is not free).
    pub run: crate::run::RunOptions,
    /// 1 for the set loaded at start, +1 for every successful reload.
    pub generation: u64,
    /// When it was loaded, RFC 3339 (UTC).
    pub loaded_at: String,
}

impl Loaded {
    fn new(policies: Policies, generation: u64, pool: Arc<rayon::ThreadPool>) -> Loaded {
        // Inputs are read as `anskaff check` reads them for these policies.
        let mut run = engine::run_options(crate::syntax::ast::Lang::En, policies.read_options());
        run.pool = Some(pool);
        Loaded {
            policies,
            run,
            generation,
            loaded_at: now_rfc3339(),
        }
    }

    /// The options of a check in `lang`.
    pub fn run_options(&self, lang: crate::syntax::ast::Lang) -> crate::run::RunOptions {
        let mut opts = self.run.clone();
        opts.lang = lang;
        opts
    }
}

/// What every request shares.
pub struct AppState {
    current: RwLock<Arc<Loaded>>,
    generation: AtomicU64,
    pub config: Config,
    /// Whether the service listens on loopback only.
    pub loopback: bool,
    /// Turns for requests ([`Config::max_concurrent`]).
    limit: Arc<tokio::sync::Semaphore>,
    /// The threads checks run on: one per core. Checks queue for them
    /// first come first served, so that many requests at once share the
    /// cores fairly instead of thrashing them, and no check starts a thread
    /// of its own.
    pool: Arc<rayon::ThreadPool>,
}

impl AppState {
    /// Load the policies of `config`; the state with generation 1.
    pub fn new(config: Config, loopback: bool) -> Result<AppState, LoadError> {
        let policies = Policies::load(&config.policy, &config.sets)?;
        let limit = Arc::new(tokio::sync::Semaphore::new(config.max_concurrent.max(1)));
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("anskaff-check-{i}"))
            .panic_handler(|_| eprintln!("anskaff serve: a check failed unexpectedly; its request gets a 500"))
            .build()
            .map_err(|e| LoadError(format!("cannot start the check threads: {e}\n")))?;
        let pool = Arc::new(pool);
        Ok(AppState {
            current: RwLock::new(Arc::new(Loaded::new(policies, 1, pool.clone()))),
            generation: AtomicU64::new(1),
            config,
            loopback,
            limit,
            pool,
        })
    }

    /// The policies in force now. A request keeps the set it started with,
    /// whatever reloads happen meanwhile.
    pub fn current(&self) -> Arc<Loaded> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Run `work` (a check) on the check threads when one is free. If the
    /// request is gone by then, the work never starts.
    pub async fn blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            if !tx.is_closed() {
                let _ = tx.send(work());
            }
        });
        rx.await.map_err(|_| "the check stopped unexpectedly".to_string())
    }

    /// Load the policy files again and put the new set in place whole. If
    /// they do not load, the old set stays and the error says why.
    pub fn reload(&self) -> Result<Arc<Loaded>, LoadError> {
        let policies = Policies::load(&self.config.policy, &self.config.sets)?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let loaded = Arc::new(Loaded::new(policies, generation, self.pool.clone()));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = loaded.clone();
        Ok(loaded)
    }
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The shared state as handlers see it.
pub type Shared = Arc<AppState>;

/// The service's routes with their limits and checks.
pub fn router(state: Shared) -> Router {
    let guarded = Router::new()
        .route("/", get(page::index))
        .route("/check-form", get(page::check_form_get).post(page::check_form_post))
        .route("/check-upload", post(page::check_upload))
        .route("/v1/check", post(api::check))
        .route("/v1/policies", get(api::policies))
        .route("/v1/rules", get(api::rules))
        .route("/v1/openapi.json", get(api::openapi))
        .fallback(api::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard));
    Router::new()
        .route("/healthz", get(api::healthz))
        .merge(guarded)
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_token))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// A turn among [`Config::max_concurrent`] and the time limit: 503 when no
/// turn comes within half the timeout (a request that waited longer would
/// have little time left to be read and checked), 408 when the request is
/// not answered within the timeout (a body sent too slowly, or a check that
/// takes too long; the check is told to stop).
async fn guard(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let start = tokio::time::Instant::now();
    let deadline = start + state.config.timeout;
    let turn_deadline = start + state.config.timeout / 2;
    let permit = match tokio::time::timeout_at(turn_deadline, state.limit.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            let mut r = problem::Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The service is busy",
                "Too many requests are being checked at once; try again shortly.",
            )
            .response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
    };
    let answer = tokio::time::timeout_at(deadline, next.run(req)).await;
    drop(permit);
    match answer {
        Ok(r) => r,
        Err(_) => problem::Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "Request timeout",
            &format!(
                "The request was not received and checked within {} (--timeout).",
                format_duration(state.config.timeout)
            ),
        )
        .response(),
    }
}

fn format_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Headers on every answer: no sniffing, no framing, no referrer, and for
/// pages no resources from anywhere else.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ));
    r
}

/// Whether every address `addr` names is a loopback address.
pub fn is_loopback(addrs: &[SocketAddr]) -> bool {
    !addrs.is_empty() && addrs.iter().all(|a| a.ip().to_canonical().is_loopback())
}

/// The addresses `addr` names (`127.0.0.1:8080`, `localhost:8080`, `[::1]:0`).
pub fn resolve(addr: &str) -> Result<Vec<SocketAddr>, String> {
    addr.to_socket_addrs()
        .map(|a| a.collect())
        .map_err(|e| format!("cannot use the address `{addr}`: {e}; write it as HOST:PORT, e.g. 127.0.0.1:8080"))
}

/// Exit codes, as for the other commands.
const EXIT_OK: u8 = 0;
const EXIT_USAGE: u8 = 2;

/// Run the service until SIGINT or SIGTERM; the process exit code. Prints
/// `listening on http://ADDR` on standard output once it accepts
/// connections.
pub fn run(config: Config) -> u8 {
    let addrs = match resolve(&config.addr) {
        Ok(a) if !a.is_empty() => a,
        Ok(_) => {
            eprintln!("error: the address `{}` names no address to listen on", config.addr);
            return EXIT_USAGE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let loopback = is_loopback(&addrs);
    if !loopback && config.token.is_none() {
        eprintln!(
            "error: `{}` is not a loopback address; listening there needs --token-file FILE \
             (a file holding the bearer token clients must send). Use --addr 127.0.0.1:PORT to serve this machine only.",
            config.addr
        );
        return EXIT_USAGE;
    }
    let state = match AppState::new(config, loopback) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprint!("{e}");
            eprintln!("error: the policies do not load; the service was not started");
            return EXIT_USAGE;
        }
    };
    let current = state.current();
    eprint!("{}", current.policies.warnings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the service: {e}");
            return EXIT_USAGE;
        }
    };
    runtime.block_on(serve(state, addrs))
}

async fn serve(state: Shared, addrs: Vec<SocketAddr>) -> u8 {
    let listener = match tokio::net::TcpListener::bind(&addrs[..]).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", state.config.addr);
            return EXIT_USAGE;
        }
    };
    let local = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", state.config.addr);
            return EXIT_USAGE;
        }
    };
    {
        let loaded = state.current();
        let plan = &loaded.policies.plan;
        let ids: Vec<&str> = plan.policies.iter().map(|p| p.id.as_str()).collect();
        eprintln!(
            "anskaff serve: {} rules in {} {} ({}); token {}; body limit {} bytes; timeout {}; {} requests at once",
            plan.rules.len(),
            ids.len(),
            if ids.len() == 1 { "policy" } else { "policies" },
            ids.join(", "),
            if state.config.token.is_some() {
                "required for /v1"
            } else {
                "off"
            },
            state.config.max_body,
            format_duration(state.config.timeout),
            state.config.max_concurrent,
        );
    }
    // The address on standard output, for scripts and tests that ask for
    // port 0.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{local}");
        let _ = out.flush();
    }
    #[cfg(unix)]
    tokio::spawn(reload_on_hangup(state.clone()));
    let app = router(state.clone());
    accept(listener, app, &state.config).await;
    eprintln!("anskaff serve: stopped");
    EXIT_OK
}

/// SIGHUP: load the policies again; keep the old set if they do not load.
#[cfg(unix)]
async fn reload_on_hangup(state: Shared) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("anskaff serve: cannot listen for SIGHUP, policies will not be reloaded: {e}");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        let s = state.clone();
        let result = tokio::task::spawn_blocking(move || s.reload()).await;
        match result {
            Ok(Ok(loaded)) => {
                eprint!("{}", loaded.policies.warnings);
                eprintln!(
                    "anskaff serve: SIGHUP: policies reloaded (generation {}, {} rules)",
                    loaded.generation,
                    loaded.policies.plan.rules.len()
                );
            }
            Ok(Err(e)) => {
                eprint!("{e}");
                eprintln!(
                    "anskaff serve: SIGHUP: the policies do not load; still serving generation {} loaded at {}",
                    state.current().generation,
                    state.current().loaded_at
                );
            }
            Err(e) => eprintln!("anskaff serve: SIGHUP: reload failed: {e}; the old policies stay"),
        }
    }
}

/// Accept connections until SIGINT or SIGTERM, serve each with HTTP/1.1
/// (headers must arrive within the timeout), then let the open ones finish.
async fn accept(listener: tokio::net::TcpListener, app: Router, config: &Config) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let connections = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let header_timeout = config.timeout;
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            s = listener.accept() => match s {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // E.g. too many open files: wait a little, go on.
                    eprintln!("anskaff serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Open connections finish their requests (at most the timeout and a
    // little more).
    let all = u32::try_from(config.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(config.timeout + Duration::from_secs(1), connections.acquire_many(all)).await;
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        let loopback = |a: &str| is_loopback(&resolve(a).expect("resolves"));
        assert!(loopback("127.0.0.1:8080"));
        assert!(loopback("127.1.2.3:0"));
        assert!(loopback("[::1]:0"));
        assert!(loopback("[::ffff:127.0.0.1]:0"));
        assert!(!loopback("0.0.0.0:8080"));
        assert!(!loopback("[::]:8080"));
        assert!(!loopback("192.168.1.10:80"));
        assert!(!is_loopback(&[]));
        assert!(resolve("no port").is_err());
    }
}
