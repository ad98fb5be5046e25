//! Ratios measured with the contenders interleaved: each round runs every contender `per_round`
//! times in turn, and the ratio to the baseline is taken per round. On a shared machine the
//! load drifts between criterion's separate measurement windows; within one round every
//! contender sees the same load. The median of the per-round ratios is the figure to quote,
//! and a second copy of the baseline shows the noise floor.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

type Run<'a> = Box<dyn Fn(u32) -> Pin<Box<dyn Future<Output = Duration> + 'a>> + 'a>;

/// One contender: a name and a batch of runs of its work.
pub struct Arm<'a> {
    name: &'static str,
    run: Run<'a>,
}

/// A contender named `name`; `f(n).await` does `n` runs of its work and returns the time
/// they took (set-up, such as taking a connection, stays out of it).
pub fn arm<'a, F, Fut>(name: &'static str, f: F) -> Arm<'a>
where
    F: Fn(u32) -> Fut + 'a,
    Fut: Future<Output = Duration> + 'a,
{
    Arm {
        name,
        run: Box::new(move |n| Box::pin(f(n))),
    }
}

/// Runs `rounds` rounds of `per_round` runs of each arm, in turn, and prints each arm's median
/// time and its median ratio (with the range) to the first arm.
pub fn report(
    rt: &tokio::runtime::Runtime,
    title: &str,
    arms: &[Arm<'_>],
    rounds: usize,
    per_round: u32,
) {
    let mut times = vec![Vec::with_capacity(rounds); arms.len()];
    // One untimed round first, to warm caches and connections.
    for round in 0..=rounds {
        for (i, arm) in arms.iter().enumerate() {
            let took = rt.block_on((arm.run)(per_round));
            if round > 0 {
                times[i].push(took / per_round);
            }
        }
    }
    println!("{title}: {rounds} interleaved rounds of {per_round} runs each");
    for (i, arm) in arms.iter().enumerate() {
        let mut ratios: Vec<f64> = times[i]
            .iter()
            .zip(&times[0])
            .map(|(t, base)| t.as_secs_f64() / base.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let mut own = times[i].clone();
        own.sort();
        println!(
            "  {:<44} {:>10}  ratio {:.3}  (rounds {:.3}..{:.3})",
            arm.name,
            fmt(own[own.len() / 2]),
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1],
        );
    }
}

fn fmt(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}
