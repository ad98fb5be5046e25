//! Distributed locks: ownership, fencing, contention (tasks and two processes), keep-alive
//! and lost-lock reports; on one node and on the cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use txova_db::redis::{Client, Config, Locker};
use txova_db::{Error, ErrorKind, Timeout};
use txova_db_tests::cluster;
use txova_db_tests::redis_env::{single_url, targets};

const TTL: Duration = Duration::from_secs(10);

#[tokio::test]
async fn only_the_owner_releases_or_extends() {
    for (name, client) in targets("lock-owner").await {
        let locker = Locker::new(client.clone());
        let a = locker.try_acquire("job", TTL).await.unwrap().unwrap();
        assert_eq!(a.owner_token().len(), 32, "{name}: 128-bit token");
        assert!(locker.try_acquire("job", TTL).await.unwrap().is_none());
        assert!(a.extend(TTL).await.unwrap());
        // Someone else's lock after ours expired: we can neither extend nor release it.
        let full = client.prefixed("lock:{job}");
        let _: () = client
            .query(redis::cmd("SET").arg(&full).arg("someone-else"))
            .await
            .unwrap();
        assert!(!a.extend(TTL).await.unwrap(), "{name}");
        assert!(!a.release().await.unwrap(), "{name}");
        let held: String = client.query(redis::cmd("GET").arg(&full)).await.unwrap();
        assert_eq!(held, "someone-else");
    }
}

#[tokio::test]
async fn fencing_tokens_grow_with_every_acquisition() {
    for (name, client) in targets("lock-fence").await {
        let locker = Locker::new(client);
        let mut last = 0;
        for _ in 0..5 {
            let g = locker.try_acquire("fenced", TTL).await.unwrap().unwrap();
            assert!(g.fencing_token() > last, "{name}");
            last = g.fencing_token();
            assert!(g.release().await.unwrap());
        }
    }
}

#[tokio::test]
async fn waiting_runs_out_as_a_lock_timeout() {
    for (name, client) in targets("lock-wait").await {
        let locker = Locker::new(client);
        let _held = locker.try_acquire("busy", TTL).await.unwrap().unwrap();
        let err = locker
            .acquire("busy", TTL, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{name}: {err}");
        assert_eq!(err.timeout_kind(), Some(Timeout::Lock));
        let err = locker
            .acquire("busy", TTL, Duration::ZERO)
            .await
            .unwrap_err();
        assert_eq!(err.timeout_kind(), Some(Timeout::Lock));
    }
}

#[tokio::test]
async fn a_dropped_guard_releases_the_lock() {
    for (name, client) in targets("lock-drop").await {
        let locker = Locker::new(client);
        let g = locker.try_acquire("dropped", TTL).await.unwrap().unwrap();
        drop(g);
        // The lock's TTL is 10 s; getting it within 5 s proves the drop released it.
        let again = locker
            .acquire("dropped", TTL, Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(again.release().await.unwrap());
    }
}

#[tokio::test]
async fn bad_input_is_refused() {
    for (_, client) in targets("lock-bad").await {
        let locker = Locker::new(client);
        for key in ["", "a{b}", "}"] {
            let e = locker.try_acquire(key, TTL).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{key:?}");
        }
        let e = locker.try_acquire("k", Duration::ZERO).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let g = locker.try_acquire("k", TTL).await.unwrap().unwrap();
        assert_eq!(
            g.extend(Duration::ZERO).await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
}

/// A read-modify-write that loses updates unless the lock excludes other holders.
async fn increment(client: &Client, key: &str) -> Result<(), Error> {
    let full = client.prefixed(key);
    let n: Option<u64> = client.query(redis::cmd("GET").arg(&full)).await?;
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    let _: () = client
        .query(redis::cmd("SET").arg(&full).arg(n.unwrap_or(0) + 1))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_under_the_lock_never_overlap() {
    for (name, client) in targets("lock-tasks").await {
        let locker = Locker::new(client.clone()).wait(Duration::from_secs(60));
        let active = Arc::new(AtomicUsize::new(0));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (locker, client) = (locker.clone(), client.clone());
                let (active, overlaps) = (Arc::clone(&active), Arc::clone(&overlaps));
                tokio::spawn(async move {
                    for _ in 0..5 {
                        locker
                            .with_lock("counter", Duration::from_secs(5), async |_| {
                                if active.fetch_add(1, Ordering::SeqCst) != 0 {
                                    overlaps.fetch_add(1, Ordering::SeqCst);
                                }
                                let r = increment(&client, "counter").await;
                                active.fetch_sub(1, Ordering::SeqCst);
                                r
                            })
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let n: u64 = client
            .query(redis::cmd("GET").arg(client.prefixed("counter")))
            .await
            .unwrap();
        assert_eq!(n, 200, "{name}");
        assert_eq!(overlaps.load(Ordering::SeqCst), 0, "{name}");
    }
}

const WORKER_ENV: &str = "TXOVA_LOCK_WORKER";

/// Run as a child process by `two_processes_count_exactly`; does nothing on its own.
#[tokio::test]
#[ignore = "a worker process started by two_processes_count_exactly"]
async fn lock_worker_process() {
    let Ok(spec) = std::env::var(WORKER_ENV) else {
        return;
    };
    let (target, prefix) = spec.split_once(' ').unwrap();
    let config = if target == "cluster" {
        Config::cluster(cluster::seed_nodes())
    } else {
        Config::new(single_url())
    };
    let client = Client::new(config.prefix(prefix)).await.unwrap();
    let locker = Locker::new(client.clone()).wait(Duration::from_secs(60));
    for _ in 0..50 {
        locker
            .with_lock("shared", Duration::from_secs(5), async |lock| {
                let full = client.prefixed("holders");
                // Record the fencing token of every holder: overlapping holders would
                // interleave their start and end marks.
                let _: () = client
                    .query(
                        redis::cmd("RPUSH")
                            .arg(&full)
                            .arg(format!("+{}", lock.fencing_token())),
                    )
                    .await?;
                increment(&client, "shared-counter").await?;
                let _: () = client
                    .query(
                        redis::cmd("RPUSH")
                            .arg(&full)
                            .arg(format!("-{}", lock.fencing_token())),
                    )
                    .await?;
                Ok::<_, Error>(())
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn two_processes_count_exactly() {
    for (name, client) in targets("lock-procs").await {
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..2)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args(["--ignored", "--exact", "lock_worker_process", "--nocapture"])
                    .env(WORKER_ENV, format!("{name} {}", client.prefix()))
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success(), "{name}: a worker failed");
        }
        let n: u64 = client
            .query(redis::cmd("GET").arg(client.prefixed("shared-counter")))
            .await
            .unwrap();
        assert_eq!(n, 100, "{name}");
        let marks: Vec<String> = client
            .query(
                redis::cmd("LRANGE")
                    .arg(client.prefixed("holders"))
                    .arg(0)
                    .arg(-1),
            )
            .await
            .unwrap();
        assert_eq!(marks.len(), 200);
        let mut last = 0u64;
        for pair in marks.chunks(2) {
            let start: u64 = pair[0].strip_prefix('+').unwrap().parse().unwrap();
            assert_eq!(pair[1], format!("-{start}"), "{name}: holders overlapped");
            assert!(start > last, "{name}: fencing tokens must grow");
            last = start;
        }
    }
}

#[tokio::test]
async fn a_lost_lock_is_reported() {
    for (name, client) in targets("lock-lost").await {
        let locker = Locker::new(client.clone());
        let full = client.prefixed("lock:{lost}");
        let r = locker
            .with_lock("lost", Duration::from_millis(300), async |_| {
                // Another owner takes over, as after an expiry during a long pause.
                let _: () = client
                    .query(redis::cmd("SET").arg(&full).arg("intruder"))
                    .await?;
                tokio::time::sleep(Duration::from_millis(400)).await;
                Ok::<_, Error>(42)
            })
            .await;
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Lock, "{name}: {err}");
        assert!(err.to_string().contains("lost"), "{err}");
        // The intruder's lock is untouched.
        let v: String = client.query(redis::cmd("GET").arg(&full)).await.unwrap();
        assert_eq!(v, "intruder");
    }
}

#[tokio::test]
async fn keep_alive_outlives_the_ttl() {
    for (name, client) in targets("lock-alive").await {
        let locker = Locker::new(client.clone());
        // The work takes 2.5 TTLs; without keep-alive the lock would expire under it.
        let v = locker
            .with_lock("long", Duration::from_secs(1), async |_| {
                tokio::time::sleep(Duration::from_millis(2500)).await;
                Ok::<_, Error>(7)
            })
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v, 7);
        let free = locker.try_acquire("long", TTL).await.unwrap();
        assert!(free.is_some(), "{name}: released after the work");
    }
}

/// A generous hang guard: the tests below never rely on it for their verdict.
const GUARD: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_work_sees_the_loss_before_it_ends() {
    for (name, client) in targets("lock-signal").await {
        let locker = Locker::new(client.clone());
        let full = client.prefixed("lock:{seen}");
        let r = locker
            .with_lock("seen", Duration::from_millis(300), async |lock| {
                let signal = lock.signal();
                assert_eq!(signal.fencing_token(), lock.fencing_token());
                assert!(!lock.is_lost());
                // Another owner takes over, as after an expiry during a long pause.
                let _: () = client
                    .query(redis::cmd("SET").arg(&full).arg("intruder"))
                    .await?;
                // A spawned task learns of it through its signal, the work through the guard.
                let task = tokio::spawn(async move {
                    tokio::select! {
                        () = signal.lost() => true,
                        () = tokio::time::sleep(GUARD) => false,
                    }
                });
                let seen = tokio::select! {
                    () = lock.lost() => true,
                    () = tokio::time::sleep(GUARD) => false,
                };
                // An error lets the flags out (a success would become a `Lock` error).
                Err::<(), _>(Flag(seen && lock.is_lost() && task.await.unwrap()))
            })
            .await;
        match r {
            Err(Flag(seen)) => assert!(seen, "{name}: the loss was never signalled"),
            Ok(()) => panic!("{name}: the work returned Ok"),
        }
        let v: String = client.query(redis::cmd("GET").arg(&full)).await.unwrap();
        assert_eq!(v, "intruder", "{name}: the new owner's lock is untouched");
    }
}

/// An error carrying whether the work saw the loss.
#[derive(Debug)]
struct Flag(bool);

impl From<Error> for Flag {
    fn from(_: Error) -> Flag {
        Flag(false)
    }
}

#[tokio::test]
async fn the_work_is_stopped_when_asked() {
    for (name, client) in targets("lock-abort").await {
        let locker = Locker::new(client.clone()).abort_on_loss(true);
        let full = client.prefixed("lock:{abort}");
        let finished = Arc::new(AtomicUsize::new(0));
        let r = locker
            .with_lock("abort", Duration::from_millis(300), async |_| {
                let _: () = client
                    .query(redis::cmd("SET").arg(&full).arg("intruder"))
                    .await?;
                tokio::time::sleep(GUARD).await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(())
            })
            .await;
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Lock, "{name}: {err}");
        assert!(err.to_string().contains("stopped"), "{err}");
        assert_eq!(
            finished.load(Ordering::SeqCst),
            0,
            "{name}: the work ran on"
        );
    }
}

#[tokio::test]
async fn a_guard_that_is_not_extended_is_lost_at_its_ttl() {
    for (name, client) in targets("lock-expiry").await {
        let locker = Locker::new(client);
        let guard = locker
            .acquire("expiry", Duration::from_millis(200), Duration::ZERO)
            .await
            .unwrap();
        let signal = guard.signal();
        let seen = tokio::select! {
            () = signal.lost() => true,
            () = tokio::time::sleep(GUARD) => false,
        };
        assert!(seen && guard.is_lost(), "{name}");
        // The key is free by now on the server too (its TTL was counted from before the
        // acquire was sent).
        let _next = locker
            .acquire("expiry", TTL, Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Releasing resolves the signals of a guard too.
        let other = locker.try_acquire("other", TTL).await.unwrap().unwrap();
        let s = other.signal();
        assert!(!s.is_lost());
        assert!(other.release().await.unwrap());
        assert!(s.is_lost());
    }
}

#[tokio::test]
async fn retry_strategies() {
    use txova_db::redis::Retry;
    for (name, client) in targets("lock-retry").await {
        let locker = Locker::new(client.clone());
        let held = locker.try_acquire("busy", TTL).await.unwrap().unwrap();
        // No retry: refused at once, however long the wait.
        let never = locker.clone().retry(Retry::Never);
        let r = tokio::time::timeout(GUARD, never.acquire("busy", TTL, Duration::from_secs(60)))
            .await
            .expect("no retry must not wait");
        let e = r.unwrap_err();
        assert_eq!(e.timeout_kind(), Some(Timeout::Lock), "{name}: {e}");
        assert!(e.to_string().contains("1 attempts"), "{e}");
        assert!(held.release().await.unwrap());
        // Fixed and exponential pauses get the lock once it is released.
        for retry in [
            Retry::Fixed(Duration::from_millis(5)),
            Retry::Exponential {
                min: Duration::from_millis(1),
                max: Duration::from_millis(20),
            },
        ] {
            let holder = locker.try_acquire("busy", TTL).await.unwrap().unwrap();
            let waiter = locker.clone().retry(retry);
            let task = tokio::spawn(async move { waiter.acquire("busy", TTL, GUARD).await });
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(holder.release().await.unwrap());
            let got = task
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(got.fencing_token() > 0);
            assert!(got.release().await.unwrap());
        }
    }
}

#[tokio::test]
async fn a_guard_and_its_signal_say_their_key_and_token_but_not_the_owner() {
    for (name, client) in targets("lock-debug").await {
        let locker = Locker::new(client);
        let guard = locker.try_acquire("ride:7", TTL).await.unwrap().unwrap();
        let signal = guard.signal();
        assert_eq!(guard.key(), "ride:7", "{name}");
        assert_eq!(signal.key(), "ride:7", "{name}");
        assert_eq!(signal.fencing_token(), guard.fencing_token(), "{name}");
        let token = guard.fencing_token();
        assert_eq!(
            format!("{guard:?}"),
            format!(r#"LockGuard {{ key: "ride:7", fencing_token: {token}, .. }}"#),
            "{name}"
        );
        assert_eq!(
            format!("{signal:?}"),
            format!(r#"LockSignal {{ key: "ride:7", fencing_token: {token}, lost: false }}"#),
            "{name}"
        );
        assert!(
            !format!("{guard:?}").contains(guard.owner_token()),
            "{name}"
        );
        drop(guard);
        assert!(signal.is_lost(), "{name}");
        assert!(format!("{signal:?}").contains("lost: true"), "{name}");
    }
}
