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
    // "maint-logs-analyze" is the page of "logs analyze".
    let path = name
        .strip_prefix("maint")
        .unwrap_or(name)
        .trim_start_matches('-')
        .replace('-', " ");
    let page_command = command
        .clone()
        .long_version(None::<&str>)
        .name(name.to_owned())
        .bin_name(name.replace('-', " "));
    pages.push((format!("{name}.1"), render_page(page_command, &path)));
    for sub in command.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        collect_pages(sub, &format!("{name}-{}", sub.get_name()), pages);
    }
}

/// clap_mangen's sections, with EXAMPLES and EXIT STATUS of our own in
/// place of its generic rendering of the `--help` epilogue.
fn render_page(command: clap::Command, path: &str) -> Vec<u8> {
    use roff::{Roff, bold, roman};
    let has_arguments = command.get_arguments().any(|arg| !arg.is_hide_set());
    let has_subcommands = command.get_subcommands().any(|sub| !sub.is_hide_set());
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    type RenderSection = fn(&clap_mangen::Man, &mut dyn std::io::Write) -> std::io::Result<()>;
    let mut sections: Vec<RenderSection> = vec![
        clap_mangen::Man::render_title,
        clap_mangen::Man::render_name_section,
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
    ];
    if has_arguments {
        sections.push(clap_mangen::Man::render_options_section);
    }
    if has_subcommands {
        sections.push(clap_mangen::Man::render_subcommands_section);
    }
    for section in sections {
        section(&man, &mut page).expect("rendering into memory cannot fail");
    }
    let mut roff = Roff::new();
    let examples = crate::help::examples(path);
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for (line, what) in examples {
            roff.control("TP", [])
                .text([bold(*line)])
                .text([roman(*what)]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in crate::help::exit_status(crate::help::acts(path)) {
        roff.control("TP", [])
            .text([bold(*code)])
            .text([roman(*meaning)]);
    }
    roff.to_writer(&mut page)
        .expect("rendering into memory cannot fail");
    man.render_version_section(&mut page)
        .expect("rendering into memory cannot fail");
    page
}
