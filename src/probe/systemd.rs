//! Failed systemd units, where systemd runs.

use std::process::Command;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedUnit {
    pub name: String,
    pub description: String,
}

/// None when systemd is not the init system here (containers, other inits).
pub fn failed_units() -> Option<Result<Vec<FailedUnit>, String>> {
    if !std::path::Path::new("/run/systemd/system").is_dir() {
        return None;
    }
    let output = Command::new("systemctl")
        .args([
            "list-units",
            "--state=failed",
            "--no-legend",
            "--plain",
            "--no-pager",
        ])
        .output();
    Some(match output {
        Ok(output) if output.status.success() => {
            Ok(parse(&String::from_utf8_lossy(&output.stdout)))
        }
        Ok(output) => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        Err(err) => Err(format!("cannot run systemctl: {err}")),
    })
}

/// `name load active sub description...` per line.
fn parse(text: &str) -> Vec<FailedUnit> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?.to_owned();
            let description = fields.skip(3).collect::<Vec<_>>().join(" ");
            Some(FailedUnit { name, description })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_systemctl_output() {
        let units =
            super::parse("nginx.service loaded failed failed A high performance web server\n");
        assert_eq!(units[0].name, "nginx.service");
        assert_eq!(units[0].description, "A high performance web server");
    }
}
