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
