//! The test Redis Cluster: three primaries on 127.0.0.1:7100-7102, started on first use.
//!
//! Startup is idempotent and race-free across test processes: it runs under an exclusive
//! `flock` (released by the kernel if the process dies), reuses a healthy cluster, starts
//! nodes that are down and rebuilds the cluster only when it is not healthy. It never stops a
//! node, so a cluster another test process is using stays up.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The ports of the three primaries.
pub const PORTS: [u16; 3] = [7100, 7101, 7102];

const SCRIPT: &str = r#"
set -u
dir="$1"
healthy() {
  for p in 7100 7101 7102; do
    info=$(redis-cli -p "$p" cluster info 2>/dev/null) || return 1
    echo "$info" | grep -q 'cluster_state:ok' || return 1
    echo "$info" | grep -q 'cluster_known_nodes:3' || return 1
    echo "$info" | grep -q 'cluster_slots_assigned:16384' || return 1
  done
  return 0
}
for p in 7100 7101 7102; do
  if ! redis-cli -p "$p" ping >/dev/null 2>&1; then
    rm -f "$dir/nodes-$p.conf"
    redis-server --cluster-enabled yes --port "$p" --save "" --appendonly no \
      --daemonize yes --cluster-config-file "$dir/nodes-$p.conf" --dir "$dir" \
      --bind 127.0.0.1 --logfile "$dir/redis-$p.log" --cluster-node-timeout 5000 \
      </dev/null >/dev/null 2>&1 || exit 1
  fi
done
for i in $(seq 1 100); do
  ok=1
  for p in 7100 7101 7102; do
    redis-cli -p "$p" ping >/dev/null 2>&1 || ok=0
  done
  [ "$ok" = 1 ] && break
  sleep 0.1
done
if healthy; then exit 0; fi
for p in 7100 7101 7102; do
  redis-cli -p "$p" flushall >/dev/null 2>&1
  redis-cli -p "$p" cluster reset hard >/dev/null || exit 1
done
redis-cli --cluster create 127.0.0.1:7100 127.0.0.1:7101 127.0.0.1:7102 \
  --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 || { cat "$dir/create.log" >&2; exit 1; }
for i in $(seq 1 300); do
  if healthy; then exit 0; fi
  sleep 0.1
done
echo "the cluster did not become healthy" >&2
exit 1
"#;

/// Starts the cluster if needed (once per process) and returns its seed node URLs.
///
/// # Panics
/// If the cluster cannot be started: the tests that need it cannot run.
pub fn seed_nodes() -> Vec<String> {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    let started = STARTED.get_or_init(start);
    if let Err(e) = started {
        panic!("cannot start the test redis cluster: {e}");
    }
    PORTS
        .iter()
        .map(|p| format!("redis://127.0.0.1:{p}"))
        .collect()
}

fn start() -> Result<(), String> {
    let dir: PathBuf = std::env::temp_dir().join("txova-redis-cluster");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock = dir.join("startup.lock");
    // `--close`: the redis servers the script starts must not inherit the lock.
    let out = Command::new("flock")
        .arg("--close")
        .arg(&lock)
        .args(["sh", "-c", SCRIPT, "cluster-start"])
        .arg(&dir)
        .output()
        .map_err(|e| format!("cannot run flock: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
