//! A fault-injection TCP proxy for the tests: adds latency each way, and can
//! cut every connection, stop forwarding (a stalled link), or cut a reply
//! half-way (a truncated reply), like a bad network between redeye and Redis.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Proxy {
    pub port: u16,
    stalled: Arc<AtomicBool>,
    truncate: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Forward 127.0.0.1:<port> to `target`, each chunk delivered `delay`
    /// after it arrived (latency, not bandwidth).
    pub fn start(target: &str, delay: Duration) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stalled = Arc::new(AtomicBool::new(false));
        let truncate = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let target = target.to_string();
        let (st, cs, sp) = (stalled.clone(), conns.clone(), stop.clone());
        let tr = truncate.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if sp.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                cs.lock().unwrap().push(client.try_clone().unwrap());
                cs.lock().unwrap().push(server.try_clone().unwrap());
                relay(
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    delay,
                    st.clone(),
                    None,
                );
                relay(server, client, delay, st.clone(), Some(tr.clone()));
            }
        });
        Proxy {
            port,
            stalled,
            truncate,
            conns,
            stop,
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Close every open connection (both sides), as a dropped link would.
    pub fn cut(&self) {
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Deliver only the first half of the next reply from the server, then
    /// close that connection (both sides): a reply cut mid-way.
    pub fn truncate_next_reply(&self) {
        self.truncate.store(true, Ordering::Relaxed);
    }

    /// Stop (true) or resume (false) forwarding bytes, keeping connections open.
    pub fn stall(&self, on: bool) {
        self.stalled.store(on, Ordering::Relaxed);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn relay(
    mut from: TcpStream,
    to: TcpStream,
    delay: Duration,
    stalled: Arc<AtomicBool>,
    truncate: Option<Arc<AtomicBool>>,
) {
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        let mut to = to;
        for (due, bytes) in rx {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            while stalled.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(10));
            }
            if let Some(t) = &truncate
                && bytes.len() > 1
                && t.swap(false, Ordering::Relaxed)
            {
                let _ = to.write_all(&bytes[..bytes.len() / 2]);
                let _ = to.shutdown(std::net::Shutdown::Both);
                return;
            }
            if to.write_all(&bytes).is_err() {
                return;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}
