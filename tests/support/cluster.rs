//! Redis Clusters for the tests: the shared one most tests use, and private ones a test may
//! restart or freeze.
//!
//! The shared cluster has three primaries on free loopback ports, started on first use. Its
//! startup is idempotent and race-free across test processes: it runs under an exclusive
//! `flock` (released by the kernel if the process dies) and records its ports in a state
//! file, so every process uses the same cluster. A later startup reuses the recorded nodes,
//! starts those that are down and rebuilds the cluster only when it is not healthy; when a
//! recorded port is held by something else it starts a cluster on new free ports. It never
//! stops a node, so a cluster another test process is using stays up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Every slot of a cluster.
const SLOTS: u16 = 16384;

/// Brings the shared cluster up. Arguments: its directory, then three candidate
/// `port:bus-port` pairs. Prints `ports P1 P2 P3`, the ports of the cluster it made healthy.
const SCRIPT: &str = r#"
set -u
dir="$1"
shift
state="$dir/cluster-ports"
real=$(cd "$dir" && pwd -P) || exit 1
cli() { timeout 5 redis-cli "$@"; }
# Whether the server on port $1 is a node of ours (it runs in our directory).
ours() { [ "$(cli -p "$1" config get dir 2>/dev/null | sed -n 2p)" = "$real" ]; }
# What holds port $1: `ours`, `free` (the connection is refused) or `other`.
holder() {
  out=$(timeout 2 redis-cli -p "$1" ping 2>&1)
  case $out in
    PONG) if ours "$1"; then echo ours; else echo other; fi ;;
    *"Connection refused"*) echo free ;;
    *) echo other ;;
  esac
}
healthy() {
  for p in "$@"; do
    info=$(cli -p "$p" cluster info 2>/dev/null) || return 1
    echo "$info" | grep -q 'cluster_state:ok' || return 1
    echo "$info" | grep -q '^cluster_known_nodes:3[^0-9]*$' || return 1
    echo "$info" | grep -q 'cluster_slots_assigned:16384' || return 1
    nodes=$(cli -p "$p" cluster nodes 2>/dev/null) || return 1
    for q in "$@"; do
      case $nodes in *":$q@"*) ;; *) return 1 ;; esac
    done
  done
  return 0
}
# bring_up P1:B1 P2:B2 P3:B3: succeeds when the cluster on these ports is healthy.
bring_up() {
  ports=""
  for n in "$@"; do
    p=${n%%:*}
    b=${n#*:}
    ports="$ports $p"
    case $(holder "$p") in
      ours) ;;
      free)
        rm -f "$dir/nodes-$p.conf"
        redis-server --cluster-enabled yes --port "$p" --cluster-port "$b" --save "" \
          --appendonly no --daemonize yes --cluster-config-file "$dir/nodes-$p.conf" \
          --dir "$dir" --pidfile "$dir/redis-$p.pid" --bind 127.0.0.1 \
          --logfile "$dir/redis-$p.log" --cluster-node-timeout 5000 \
          </dev/null >/dev/null 2>&1 || return 1
        ;;
      *) echo "port $p is held by another program" >&2; return 1 ;;
    esac
  done
  deadline=$(($(date +%s) + 10))
  for p in $ports; do
    until [ "$(holder "$p")" = ours ]; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "no node of ours answers on port $p" >&2
        return 1
      fi
      sleep 0.1
    done
  done
  # shellcheck disable=SC2086
  if healthy $ports; then return 0; fi
  for p in $ports; do
    cli -p "$p" flushall >/dev/null 2>&1
    cli -p "$p" cluster reset hard >/dev/null || return 1
  done
  # shellcheck disable=SC2046
  redis-cli --cluster create $(for p in $ports; do printf '127.0.0.1:%s ' "$p"; done) \
    --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
    || { cat "$dir/create.log" >&2; return 1; }
  i=0
  # shellcheck disable=SC2086
  until healthy $ports; do
    i=$((i + 1))
    if [ "$i" -ge 300 ]; then
      echo "the cluster on ports$ports did not become healthy" >&2
      return 1
    fi
    sleep 0.1
  done
  return 0
}
c1=$1 c2=$2 c3=$3
if [ -s "$state" ]; then
  # shellcheck disable=SC2046
  set -- $(cat "$state")
  if [ "$#" = 3 ] && bring_up "$1" "$2" "$3"; then
    echo "ports$ports"
    exit 0
  fi
  echo "the cluster on the recorded ports cannot be used; starting one on new ports" >&2
fi
echo "$c1 $c2 $c3" >"$state.new" && mv "$state.new" "$state" || exit 1
bring_up "$c1" "$c2" "$c3" || exit 1
echo "ports$ports"
"#;

/// Starts the shared cluster if needed (once per process) and returns its seed node URLs.
///
/// # Panics
/// If the cluster cannot be started: the tests that need it cannot run.
pub fn seed_nodes() -> Vec<String> {
    static STARTED: OnceLock<Result<[u16; 3], String>> = OnceLock::new();
    match STARTED.get_or_init(start_shared) {
        Ok(ports) => urls(ports),
        Err(e) => panic!("cannot start the test redis cluster: {e}"),
    }
}

/// Runs the startup script with fresh candidate ports, a few times in case another program
/// takes a candidate before the node binds it.
fn start_shared() -> Result<[u16; 3], String> {
    let dir: PathBuf = std::env::temp_dir().join("txova-redis-cluster");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock = dir.join("startup.lock");
    let mut errors = Vec::new();
    for _ in 0..3 {
        let ports = free_ports::<6>();
        let candidates = (0..3).map(|i| format!("{}:{}", ports[i], ports[i + 3]));
        // `--close`: the redis servers the script starts must not inherit the lock.
        let out = Command::new("flock")
            .arg("--close")
            .arg(&lock)
            .args(["sh", "-c", SCRIPT, "cluster-start"])
            .arg(&dir)
            .args(candidates)
            .output()
            .map_err(|e| format!("cannot run flock: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.success() {
            return parse_ports(&stdout).ok_or_else(|| format!("unexpected output: {stdout}"));
        }
        errors.push(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)));
    }
    Err(errors.join("\n"))
}

/// Reads the script's last line, `ports P1 P2 P3`.
fn parse_ports(stdout: &str) -> Option<[u16; 3]> {
    let line = stdout.lines().last()?.strip_prefix("ports ")?;
    let ports: Vec<u16> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    ports.try_into().ok()
}

fn urls(ports: &[u16]) -> Vec<String> {
    ports
        .iter()
        .map(|p| format!("redis://127.0.0.1:{p}"))
        .collect()
}

/// `N` distinct loopback ports that were free a moment ago.
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().expect("a bound address").port())
}

/// Runs `redis-cli -p port args...` (bounded to ten seconds); its output, or `None` when it
/// could not run or failed.
fn redis_cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("timeout")
        .arg("10")
        .arg("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// A three-primary Redis Cluster of one test's own, on free loopback ports and in a
/// temporary directory of its own, without persistence. Its nodes are shut down (without
/// saving) and its directory removed when it is dropped.
#[derive(Debug)]
pub struct OwnCluster {
    dir: PathBuf,
    /// `dir` as the servers report it (`CONFIG GET dir`).
    real_dir: String,
    ports: [u16; 3],
    bus_ports: [u16; 3],
}

impl OwnCluster {
    /// Starts three nodes, joins them with `redis-cli --cluster create` and waits until every
    /// node reports `cluster_state:ok` with all slots assigned.
    ///
    /// # Panics
    /// If the cluster cannot be started.
    #[must_use]
    pub fn start() -> OwnCluster {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).expect("random bytes");
        let dir = std::env::temp_dir().join(format!(
            "txova-own-cluster-{}-{:016x}",
            std::process::id(),
            u64::from_le_bytes(b)
        ));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let real_dir = std::fs::canonicalize(&dir)
            .expect("the cluster directory")
            .to_string_lossy()
            .into_owned();
        // A candidate port may be taken by another program before its node binds it: then
        // the cluster is started again on other ports.
        let mut attempt = 0;
        let cluster = loop {
            attempt += 1;
            let ports = free_ports::<6>();
            let cluster = OwnCluster {
                dir: dir.clone(),
                real_dir: real_dir.clone(),
                ports: [ports[0], ports[1], ports[2]],
                bus_ports: [ports[3], ports[4], ports[5]],
            };
            let up = cluster.ports.iter().all(|&p| {
                cluster.spawn(p);
                cluster.wait_until(p, true)
            });
            if up {
                break cluster;
            }
            assert!(
                attempt < 3,
                "cannot start the nodes of a private redis cluster in {}",
                dir.display()
            );
            // Dropping it stops the nodes that did start, and removes the directory.
            drop(cluster);
            std::fs::create_dir_all(&dir).expect("the cluster directory");
        };
        let addrs: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let out = Command::new("timeout")
            .args(["60", "redis-cli", "--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.wait_healthy();
        cluster
    }

    /// The URLs of the three nodes.
    #[must_use]
    pub fn seed_nodes(&self) -> Vec<String> {
        urls(&self.ports)
    }

    /// The ports of the three nodes.
    #[must_use]
    pub fn ports(&self) -> [u16; 3] {
        self.ports
    }

    /// The port of the node that owns the slot of `key` (a full key, prefix included).
    ///
    /// # Panics
    /// If no node claims the slot.
    #[must_use]
    pub fn port_of(&self, key: &str) -> u16 {
        let slot: u16 = self
            .cli(self.ports[0], &["cluster", "keyslot", key])
            .trim()
            .parse()
            .expect("CLUSTER KEYSLOT answers a slot");
        self.ports
            .into_iter()
            .find(|&p| own_slots(&self.cli(p, &["cluster", "nodes"])).contains(&slot))
            .unwrap_or_else(|| panic!("no node of the cluster owns slot {slot} of {key}"))
    }

    /// Runs `redis-cli -p port args...` and returns what it printed. Error replies are
    /// printed too (`ERR ...`); this fails only when `redis-cli` does.
    ///
    /// # Panics
    /// If `redis-cli` cannot be run or fails (for one, when the node does not answer).
    #[must_use]
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        redis_cli(port, args)
            .unwrap_or_else(|| panic!("redis-cli -p {port} {} failed", args.join(" ")))
    }

    /// Stops the node on `port` (`SHUTDOWN NOSAVE`) and waits until its process is gone.
    /// Its `nodes.conf` stays, so [`OwnCluster::start_node`] brings it back as the same node.
    ///
    /// # Panics
    /// If it does not stop.
    pub fn stop_node(&self, port: u16) {
        let pid = self.pid(port);
        self.resume_node(port);
        let _ = redis_cli(port, &["shutdown", "nosave"]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while pid.is_some_and(process_alive) || self.answers(port) {
            assert!(
                Instant::now() < deadline,
                "the redis node on port {port} does not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the node on `port` again, with its `nodes.conf`, and waits until it answers.
    /// The cluster may need a few seconds more before it serves the node's slots again.
    ///
    /// # Panics
    /// If it does not start.
    pub fn start_node(&self, port: u16) {
        self.spawn(port);
        assert!(
            self.wait_until(port, true),
            "the redis node on port {port} did not start again"
        );
    }

    /// Freezes the node on `port` (`SIGSTOP`): it accepts connections but answers nothing
    /// until [`OwnCluster::resume_node`]. Dropping the cluster resumes it first.
    ///
    /// # Panics
    /// If the node's process is not known.
    pub fn freeze_node(&self, port: u16) {
        let pid = self
            .pid(port)
            .unwrap_or_else(|| panic!("no process of the node on port {port}"));
        signal(pid, "STOP");
    }

    /// Lets a frozen node run again (`SIGCONT`).
    pub fn resume_node(&self, port: u16) {
        if let Some(pid) = self.pid(port) {
            signal(pid, "CONT");
        }
    }

    fn spawn(&self, port: u16) {
        let i = self
            .ports
            .iter()
            .position(|&p| p == port)
            .unwrap_or_else(|| panic!("port {port} is not a node of this cluster"));
        let dir = self.dir.to_string_lossy();
        let _ = Command::new("redis-server")
            .args(["--cluster-enabled", "yes", "--port", &port.to_string()])
            .args(["--cluster-port", &self.bus_ports[i].to_string()])
            .args(["--cluster-config-file", &format!("{dir}/nodes-{port}.conf")])
            .args(["--cluster-node-timeout", "10000"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "yes"])
            .args(["--dir", &dir, "--bind", "127.0.0.1"])
            .args(["--pidfile", &format!("{dir}/redis-{port}.pid")])
            .args(["--logfile", &format!("{dir}/redis-{port}.log")])
            .status();
    }

    /// Whether a node of this cluster (a server running in its directory) answers on `port`.
    fn answers(&self, port: u16) -> bool {
        redis_cli(port, &["config", "get", "dir"])
            .is_some_and(|out| out.lines().nth(1) == Some(self.real_dir.as_str()))
    }

    /// Waits up to ten seconds until the node on `port` answers (`up`) or not.
    fn wait_until(&self, port: u16, up: bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.answers(port) == up {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let healthy = self.ports.iter().all(|&p| {
                redis_cli(p, &["cluster", "info"]).is_some_and(|info| {
                    let field = |name: &str| {
                        info.lines()
                            .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(':'))
                            .map(str::to_owned)
                    };
                    field("cluster_state").as_deref() == Some("ok")
                        && field("cluster_slots_assigned") == Some(SLOTS.to_string())
                        && field("cluster_known_nodes").as_deref() == Some("3")
                })
            });
            if healthy {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the private redis cluster in {} did not become healthy",
                self.dir.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self, port: u16) -> Option<u32> {
        pid_in(&self.dir.join(format!("redis-{port}.pid")))
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        for port in self.ports {
            // A frozen node could not shut down.
            self.resume_node(port);
            if self.answers(port) {
                let _ = redis_cli(port, &["shutdown", "nosave"]);
            }
        }
        for port in self.ports {
            let _ = self.wait_until(port, false);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The slots the node whose `CLUSTER NODES` reply this is serves itself.
fn own_slots(nodes: &str) -> Vec<u16> {
    let Some(line) = nodes
        .lines()
        .find(|l| l.split(' ').nth(2).is_some_and(|f| f.contains("myself")))
    else {
        return Vec::new();
    };
    let mut slots = Vec::new();
    // Fields from the ninth on: `5461-10922`, `5` or `[5->-id]` (a slot being moved).
    for range in line.split_whitespace().skip(8) {
        let (from, to) = range.split_once('-').unwrap_or((range, range));
        if let (Ok(from), Ok(to)) = (from.parse::<u16>(), to.parse::<u16>()) {
            slots.extend(from..=to);
        }
    }
    slots
}

fn pid_in(file: &Path) -> Option<u32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// Whether process `pid` still runs (a zombie does not).
fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_from_the_last_line() {
        assert_eq!(
            parse_ports("noise\nports 40001 40002 40003\n"),
            Some([40001, 40002, 40003])
        );
        assert_eq!(parse_ports("ports 1 2"), None);
        assert_eq!(parse_ports(""), None);
    }

    #[test]
    fn own_slots_are_read_from_the_myself_line() {
        let nodes = "a 127.0.0.1:1@2 master - 0 0 1 connected 0-2 9\n\
                     b 127.0.0.1:3@4 myself,master - 0 0 2 connected 5-7 10 [11->-a]\n";
        assert_eq!(own_slots(nodes), vec![5, 6, 7, 10]);
    }
}
