use clap::Parser;
use redeye::cli::Cli;

fn main() {
    // Real bugs get color-eyre's report (and a backtrace with RUST_BACKTRACE=1).
    let _ = color_eyre::install();
    quiet_on_broken_stdout();
    // An empty REDEYE_* variable (`REDEYE_CONFIG= redeye …`) means unset:
    // clap would read it as a flag given without its value.
    for (k, v) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| k.starts_with("REDEYE_")) && v.is_empty() {
            // SAFETY: the process is single-threaded here (before the runtime).
            unsafe { std::env::remove_var(&k) };
        }
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        // `redeye check` is run by monitoring agents: bad arguments are
        // UNKNOWN (3) there, as the plugin convention wants, not 2.
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "check") => {
            println!(
                "UNKNOWN - bad arguments: {}",
                e.to_string().lines().next().unwrap_or("")
            );
            std::process::exit(3);
        }
        Err(e) => e.exit(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(redeye::app::run(cli));
    // Do not wait for connection drivers: the work is done.
    runtime.shutdown_background();
    if let Err(failure) = result {
        if !failure.message().is_empty() {
            eprintln!("redeye: {failure}");
        }
        std::process::exit(failure.exit_code());
    }
}

/// `redeye … | head`: when the reader goes away, a `println!` panics with
/// "failed printing to stdout: Broken pipe". End quietly with 0 then, as
/// other Unix tools do. SIGPIPE stays ignored (restoring it would kill the
/// dashboard when its ssh pipe breaks); only a panic whose cause is a closed
/// stdout is treated so, every other panic is a bug and reported.
fn quiet_on_broken_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") && stdout_reader_gone() {
            std::process::exit(0);
        }
        report(info)
    }));
}

/// Whether stdout is a pipe whose reading end is closed (POLLERR on it).
fn stdout_reader_gone() -> bool {
    let mut fd = libc::pollfd {
        fd: 1,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, a zero timeout.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n > 0 && fd.revents & libc::POLLERR != 0
}
