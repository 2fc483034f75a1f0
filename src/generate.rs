//! Completions and man pages, generated from the clap definition. The copies
//! in `completions/` and `man/` are committed, and a test fails when they
//! differ from what this module produces now.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// The completion script for `shell` and the file name it is installed under.
pub fn completion(shell: Shell) -> (String, Vec<u8>) {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "maint", &mut script);
    let file_name = clap_complete::Generator::file_name(&shell, "maint");
    (file_name, script)
}

/// One man page per command and subcommand: `maint.1`, `maint-health.1`, ...
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    // The commit in the long version would make every commit's pages differ.
    let mut command = Cli::command().long_version(None::<&str>);
    // Building propagates the global flags into each subcommand's page.
    command.build();
    let mut pages = Vec::new();
    collect_pages(&command, "maint", &mut pages);
    pages
}

fn collect_pages(command: &clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) {
    let page_command = command
        .clone()
        .long_version(None::<&str>)
        .name(name.to_owned())
        .bin_name(name.replace('-', " "));
    let mut page = Vec::new();
    clap_mangen::Man::new(page_command)
        .render(&mut page)
        .expect("rendering into memory cannot fail");
    pages.push((format!("{name}.1"), page));
    for sub in command.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        collect_pages(sub, &format!("{name}-{}", sub.get_name()), pages);
    }
}
