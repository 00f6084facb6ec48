//! The benchmark binary runs: one job per configuration (`--quick`), each in its own process,
//! in whatever profile the tests are built with. Cheap, so that the benchmark cannot rot.

use std::process::Command;

#[test]
fn every_configuration_runs_one_job() {
    let exe = env!("CARGO_BIN_EXE_smile-bench");
    let list = Command::new(exe).arg("list").output().unwrap();
    assert!(list.status.success());
    let names: Vec<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 10, "{names:?}");

    let out = Command::new(exe).args(["e2e", "--quick"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for name in &names {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("| {name} |"))),
            "no row for {name:?}:\n{stdout}"
        );
    }
    assert!(stdout.contains("1 jobs per configuration"), "{stdout}");
}

#[test]
fn bad_arguments_are_refused() {
    let exe = env!("CARGO_BIN_EXE_smile-bench");
    for args in [
        &["e2e", "--jobs", "0"][..],
        &["e2e", "--only", "nope"],
        &["frobnicate"],
    ] {
        let out = Command::new(exe).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
    }
}
