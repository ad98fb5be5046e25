//! A fault-injecting TCP relay: tests point a pool at it instead of the server and then break
//! the network between them on purpose.
//!
//! Modes apply to new and existing connections alike: [`Mode::Pass`] forwards,
//! [`Mode::BlackHole`] keeps every socket open and forwards nothing (a cable pulled, a NAT
//! entry dropped), [`Mode::Delay`] forwards each chunk late, [`Mode::Reset`] resets every
//! connection and each new one as it is accepted. [`Relay::silence_existing`] black-holes only
//! the connections open now, so new ones still pass.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What the relay does with the bytes it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards everything.
    Pass,
    /// Accepts and keeps every socket open, forwards nothing.
    BlackHole,
    /// Forwards each chunk after this delay.
    Delay(Duration),
    /// Resets every connection, and each new one as soon as it is accepted.
    Reset,
}

struct Shared {
    upstream: String,
    mode: Mutex<Mode>,
    changed: Notify,
    accepted: AtomicU64,
    conns: Mutex<Vec<Weak<Conn>>>,
}

struct Conn {
    silenced: AtomicBool,
    reset: Notify,
}

/// A relay listening on a free loopback port, forwarding to one upstream address. It stops
/// accepting when dropped; connections already relayed end when either side closes.
pub struct Relay {
    port: u16,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
        self.set_mode(Mode::Reset);
    }
}

impl Relay {
    /// Starts a relay to `upstream` (`host:port`) in [`Mode::Pass`].
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(upstream: impl Into<String>) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port for the relay");
        let port = listener.local_addr().expect("the relay's address").port();
        let shared = Arc::new(Shared {
            upstream: upstream.into(),
            mode: Mutex::new(Mode::Pass),
            changed: Notify::new(),
            accepted: AtomicU64::new(0),
            conns: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Relay {
            port,
            shared,
            accept,
        }
    }

    /// Starts a relay to the `host:port` of a `postgres://user@host:port/db` URL and returns
    /// it with the same URL pointing at the relay (TLS off, so bytes can be held or passed).
    ///
    /// # Panics
    /// When the URL is not of that shape.
    pub async fn for_url(url: &str) -> (Relay, String) {
        let (head, rest) = url.split_once('@').expect("a url with user@host");
        let (upstream, path) = rest.split_once('/').expect("a url with a database");
        let relay = Relay::start(upstream).await;
        let tls_off = if path.contains("sslmode=disable") {
            ""
        } else if path.contains('?') {
            "&sslmode=disable"
        } else {
            "?sslmode=disable"
        };
        let relayed = format!("{head}@127.0.0.1:{}/{path}{tls_off}", relay.port);
        (relay, relayed)
    }

    /// The port the relay listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many connections the relay has accepted so far.
    #[must_use]
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Switches every connection, open or to come, to `mode`.
    pub fn set_mode(&self, mode: Mode) {
        *self
            .shared
            .mode
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = mode;
        if mode == Mode::Reset {
            for conn in self.live() {
                conn.reset.notify_one();
            }
        }
        self.shared.changed.notify_waiters();
    }

    /// Black-holes the connections open now, for good; connections made later follow the mode.
    pub fn silence_existing(&self) {
        for conn in self.live() {
            conn.silenced.store(true, Ordering::SeqCst);
        }
    }

    fn live(&self) -> Vec<Arc<Conn>> {
        let mut conns = self
            .shared
            .conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        conns.retain(|c| c.strong_count() > 0);
        conns.iter().filter_map(Weak::upgrade).collect()
    }
}

fn mode(shared: &Shared) -> Mode {
    *shared
        .mode
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((client, _)) = listener.accept().await {
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if mode(&shared) == Mode::Reset {
            reset(&client);
            continue;
        }
        let conn = Arc::new(Conn {
            silenced: AtomicBool::new(false),
            reset: Notify::new(),
        });
        shared
            .conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Arc::downgrade(&conn));
        tokio::spawn(serve(client, shared.clone(), conn));
    }
}

/// Closes with a TCP reset rather than an orderly FIN.
#[allow(
    deprecated,
    reason = "a zero linger resets at once; it is a non-zero linger that blocks on drop"
)]
fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}

async fn serve(client: TcpStream, shared: Arc<Shared>, conn: Arc<Conn>) {
    let server = tokio::select! {
        s = TcpStream::connect(&shared.upstream) => s,
        () = conn.reset.notified() => {
            reset(&client);
            return;
        }
    };
    let Ok(server) = server else {
        reset(&client);
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let reset_now = tokio::select! {
        () = pump(&mut cr, &mut sw, &shared, &conn) => false,
        () = pump(&mut sr, &mut cw, &shared, &conn) => false,
        () = conn.reset.notified() => true,
    };
    if reset_now {
        reset(cw.as_ref());
        reset(sw.as_ref());
    }
}

async fn pump(from: &mut OwnedReadHalf, to: &mut OwnedWriteHalf, shared: &Shared, conn: &Conn) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        loop {
            if conn.silenced.load(Ordering::SeqCst) {
                // Held forever: only a reset ends this connection.
                std::future::pending::<()>().await;
            }
            // Registered before the mode is read, so a change in between is not missed.
            let changed = shared.changed.notified();
            match mode(shared) {
                Mode::Pass => break,
                Mode::Delay(d) => {
                    tokio::time::sleep(d).await;
                    break;
                }
                Mode::BlackHole => changed.await,
                Mode::Reset => return,
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
