//! One training run of one workload in its own process, for its peak resident memory:
//! `train_rss <workload> [steps]` runs `steps` (default 50) training steps and prints
//! `<workload> steps=<n> ms_per_step=<median> rss_setup_kib=<..> rss_peak_kib=<..>`, where
//! the RSS figures are `VmRSS` after building the network and data, and `VmHWM` (the peak) at
//! the end, both from `/proc/self/status` (0 where that file does not exist).
//!
//! `scripts/bench.sh` runs it through `cargo bench --bench train_rss -- <workload>`; cargo's
//! extra `--bench` argument is ignored.

mod workloads;

use std::time::Instant;

fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let names: Vec<&str> = match args.first() {
        Some(n) => vec![n.as_str()],
        None => workloads::SPECS.iter().map(|s| s.name).collect(),
    };
    let steps: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(50);
    if names.len() > 1 {
        eprintln!("note: several workloads in one process share one peak RSS; pass one name for a clean figure");
    }
    for name in names {
        let Some((_, mut step)) = workloads::build(name) else {
            eprintln!("unknown workload {name:?}; known: {:?}", workloads::SPECS.map(|s| s.name));
            std::process::exit(2);
        };
        let setup = status_kib("VmRSS:");
        let mut times = Vec::with_capacity(steps);
        let mut loss = 0.0;
        for _ in 0..steps {
            let t = Instant::now();
            loss = step.train_step();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
        println!(
            "{name} steps={steps} ms_per_step={median:.4} loss={loss:.4} rss_setup_kib={setup} rss_peak_kib={}",
            status_kib("VmHWM:")
        );
    }
}
