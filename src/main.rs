//! The `scrutineer` binary: parse the command, call into the library, map
//! the outcome to an exit code (0 ok, 1 check failed, 2 bad input).

use std::io::Write;

use scrutineer::cli::{self, Exit};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exit = match args.first().map(String::as_str) {
        None | Some("--help") | Some("-h") | Some("help") => Exit::Ok(cli::USAGE.to_string()),
        Some("--version") | Some("-V") => {
            Exit::Ok(format!("scrutineer {}\n", env!("CARGO_PKG_VERSION")))
        }
        Some(command) => cli::run(command, &args[1..]),
    };
    let code = exit.code();
    match exit {
        Exit::Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth a panic.
            let _ = stdout.write_all(out.as_bytes());
        }
        Exit::Failed(msg) | Exit::BadInput(msg) => {
            eprintln!("scrutineer: {}", msg.trim_end());
        }
    }
    std::process::exit(code);
}
