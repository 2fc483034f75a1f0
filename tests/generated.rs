//! Completions and man pages are generated from the clap definition and
//! committed. This fails when a committed copy is stale; run the tests with
//! `MAINT_UPDATE_GENERATED=1` to rewrite them.

use std::path::Path;

fn compare_or_update(path: &Path, expected: &[u8], stale: &mut Vec<String>) {
    let update = std::env::var_os("MAINT_UPDATE_GENERATED").is_some_and(|v| v == "1");
    if std::fs::read(path).ok().as_deref() == Some(expected) {
        return;
    }
    if update {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, expected).unwrap();
    } else {
        stale.push(path.display().to_string());
    }
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    let mut expected_files = Vec::new();
    for shell in maint::generate::SHELLS {
        let (name, script) = maint::generate::completion(shell);
        compare_or_update(&root.join("completions").join(&name), &script, &mut stale);
        expected_files.push(format!("completions/{name}"));
    }
    for (name, page) in maint::generate::man_pages() {
        compare_or_update(&root.join("man").join(&name), &page, &mut stale);
        expected_files.push(format!("man/{name}"));
    }
    // A page for a command that no longer exists is stale too.
    for folder in ["completions", "man"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap().flatten() {
            let relative = format!("{folder}/{}", entry.file_name().to_string_lossy());
            if !expected_files.contains(&relative) && relative != "man/README.md" {
                stale.push(format!("{relative} (no longer generated)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {stale:?}\nrerun with MAINT_UPDATE_GENERATED=1 cargo test generated, and commit the result"
    );
}

#[test]
fn every_man_page_has_examples_and_exit_status() {
    for (name, page) in maint::generate::man_pages() {
        let text = String::from_utf8(page).unwrap();
        assert!(
            text.contains(".SH EXAMPLES"),
            "{name} has no EXAMPLES section"
        );
        assert!(
            text.contains(".SH \"EXIT STATUS\""),
            "{name} has no EXIT STATUS section"
        );
    }
}
