//! `smile-bench poll --quick` runs (one job per row, processing delays 0 and 200 ms, against
//! the embedded emulator) in whatever profile the tests are built with, so that the poll
//! benchmark cannot rot. Only what does not depend on timing is checked: the table's shape,
//! the schedules' predictions, and the poll counts (a job that completes within its `PUT`
//! takes exactly one poll; no job takes more polls than its schedule predicts).

use std::process::Command;

/// The cells of the row that starts with `| {delay} | {schedule} |`.
fn row(stdout: &str, delay: &str, schedule: &str) -> Vec<String> {
    let prefix = format!("| {delay} | {schedule} |");
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no row {prefix:?}:\n{stdout}"));
    line.trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

#[test]
fn poll_quick_prints_the_table() {
    let exe = env!("CARGO_BIN_EXE_smile-bench");
    let out = Command::new(exe)
        .args(["poll", "--quick"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(
            "| processing delay | schedule | jobs | PUT → result p50 / max ms | polls/job | schedule: PUT → result ms / polls | submit → outcome p50 ms |"
        ),
        "{stdout}"
    );
    // Only the quick delays.
    assert!(!stdout.contains("| 1 s |"), "{stdout}");
    // Columns: delay, schedule, jobs, p50 / max, polls/job, predicted ms / polls, wall.
    for (delay, schedule, predicted) in [
        ("0 ms", "default", "0 / 1"),
        ("0 ms", "official", "0 / 1"),
        ("200 ms", "default", "250 / 2"),
        ("200 ms", "official", "2000 / 2"),
    ] {
        let cells = row(&stdout, delay, schedule);
        assert_eq!(cells.len(), 7, "{cells:?}");
        assert_eq!(cells[2], "1", "{cells:?}");
        assert_eq!(cells[5], predicted, "{cells:?}");
        let polls: f64 = cells[4].parse().unwrap();
        let max_polls: f64 = predicted.split(" / ").nth(1).unwrap().parse().unwrap();
        if delay == "0 ms" {
            // The result exists before the PUT is answered: the first poll gets it.
            assert_eq!(polls, 1.0, "{cells:?}");
        } else {
            assert!((1.0..=max_polls).contains(&polls), "{cells:?}");
        }
    }
    assert!(
        stdout.contains(
            "a 90 s wait without a result costs 27 polls with the default schedule, 25 with the official one"
        ),
        "{stdout}"
    );
}

#[test]
fn poll_refuses_bad_arguments() {
    let exe = env!("CARGO_BIN_EXE_smile-bench");
    for args in [
        &["poll", "--jobs", "0"][..],
        &["poll", "--jobs"],
        &["poll", "--only", "default"],
    ] {
        let out = Command::new(exe).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
    }
}
