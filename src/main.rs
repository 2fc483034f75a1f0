//! The `maint` binary: parse, run, report the error if any, exit with the code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match maint::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(code) => return code.into(),
    };
    match maint::run(&cli) {
        Ok(code) => code.into(),
        Err(failure) => {
            eprintln!("{}", maint::error::describe(&failure.error));
            failure.code.into()
        }
    }
}
