//! `maint health` on what the host itself says: systemd units and timers
//! (or, where systemd does not run, that it is not available).

use crate::support::maint;

fn systemd_runs() -> bool {
    std::path::Path::new("/run/systemd/system").is_dir()
}

#[test]
fn systemd_units_named_in_config_are_checked_or_said_to_be_not_available() {
    let out = maint()
        .json()
        .config("[health]\nunits = [\"maint-test-absent.service\"]\n")
        .args(["health", "--only", "systemd"])
        .run();
    assert_eq!(
        out.check_names(),
        [
            "systemd",
            "systemd:maint-test-absent.service",
            "systemd:timers"
        ]
    );
    let unit = out.check("systemd:maint-test-absent.service");
    if systemd_runs() {
        out.code(2);
        assert_eq!(unit["status"], "CRITICAL");
        assert_eq!(
            unit["message"],
            "maint-test-absent.service is not-found (it must be active)"
        );
    } else {
        // Nothing can have failed under a systemd that is not there, but
        // whether the unit runs cannot be told.
        out.code(3);
        let failed = out.check("systemd");
        assert_eq!(failed["status"], "OK");
        assert!(
            failed["message"]
                .as_str()
                .unwrap()
                .starts_with("not available: systemd is not running here"),
            "{failed}"
        );
        assert_eq!(unit["status"], "UNKNOWN");
        assert!(
            unit["message"]
                .as_str()
                .unwrap()
                .contains("whether maint-test-absent.service is active cannot be told"),
            "{unit}"
        );
        assert_eq!(out.check("systemd:timers")["status"], "OK");
    }
}

#[test]
fn a_unit_name_that_is_an_option_is_a_config_error() {
    let out = maint()
        .config("[health]\nunits = [\"--all\"]\n")
        .args(["health"])
        .run();
    out.code(3);
    assert!(
        out.stderr
            .contains("key `health.units[0]`: give a unit name"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_pending_reboot_is_a_warning_naming_the_packages() {
    let calm = maint();
    let run_dir = calm.path("run");
    std::fs::create_dir(&run_dir).unwrap();
    let out = calm
        .json()
        .env("MAINT_TEST_RUN_DIR", &run_dir)
        .args(["health", "--only", "reboot"])
        .run();
    out.code(0);
    assert_eq!(out.check("reboot")["status"], "OK");

    let pending = maint();
    let run_dir = pending.path("run");
    std::fs::create_dir(&run_dir).unwrap();
    std::fs::write(
        run_dir.join("reboot-required"),
        "*** System restart required ***\n",
    )
    .unwrap();
    std::fs::write(
        run_dir.join("reboot-required.pkgs"),
        "linux-image-6.1.0-28-amd64\nlibc6\nlinux-image-6.1.0-28-amd64\n",
    )
    .unwrap();
    let out = pending
        .json()
        .env("MAINT_TEST_RUN_DIR", &run_dir)
        .args(["health", "--only", "reboot"])
        .run();
    out.code(1);
    let reboot = out.check("reboot");
    assert_eq!(reboot["status"], "WARNING");
    assert_eq!(
        reboot["message"],
        format!(
            "a reboot is pending for linux-image-6.1.0-28-amd64, libc6 ({})",
            run_dir.join("reboot-required").display()
        )
    );
    assert_eq!(reboot["value"], 2.0);
}

#[test]
fn the_clock_is_judged_or_said_to_be_not_available() {
    let out = maint().json().args(["health", "--only", "clock"]).run();
    let clock = out.check("clock");
    let message = clock["message"].as_str().unwrap();
    // Whatever this host's clock is, the check says where it read it, or
    // that nothing here could tell.
    match clock["status"].as_str().unwrap() {
        "OK" => assert!(
            message.starts_with("synchronised") || message.starts_with("not available: "),
            "{clock}"
        ),
        "WARNING" | "CRITICAL" => assert!(
            message.contains("not synchronised") || message.contains("offset"),
            "{clock}"
        ),
        other => panic!("clock is {other}: {clock}"),
    }
}

#[test]
fn clock_offset_levels_in_the_wrong_order_name_the_key() {
    let out = maint()
        .config("[health.clock_offset]\nwarn = \"10s\"\ncrit = \"1s\"\n")
        .args(["health", "--only", "clock"])
        .run();
    out.code(3).stderr_has("health.clock_offset");
}
