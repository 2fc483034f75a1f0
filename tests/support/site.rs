//! One folder several runs of maint share (a server's /etc/maint and
//! /var/lib/maint in small): its maint.toml, its files, and its state
//! folder, so that what one run remembers (the routine lock, the last exit
//! codes) the next one sees.

use std::path::PathBuf;

use tempfile::TempDir;

use super::command::{Maint, Output, maint};

pub(crate) struct Site {
    dir: TempDir,
}

impl Site {
    pub(crate) fn new(config: &str) -> Site {
        let site = Site {
            dir: tempfile::Builder::new()
                .prefix("maint-site-")
                .tempdir()
                .expect("create a temporary folder"),
        };
        site.write("maint.toml", config);
        site
    }

    pub(crate) fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).expect("write a site file");
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// maint in this folder, with its state folder.
    pub(crate) fn maint(&self) -> Maint {
        maint().env("XDG_STATE_HOME", self.path("state"))
    }

    pub(crate) fn command(&self, args: &[&str]) -> std::process::Command {
        // The builder's own folder goes with it: HOME and the runtime
        // folder are the site's instead.
        let mut command = self.maint().args(args).command();
        let runtime = self.path(".run");
        std::fs::create_dir_all(&runtime).expect("create the runtime folder");
        command
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env("XDG_RUNTIME_DIR", runtime);
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.maint().args(args).run_in(self.dir.path())
    }
}
