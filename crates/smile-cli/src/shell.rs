//! Commands to run next, written so a POSIX shell reads them back as given.

/// `value` quoted for a POSIX shell when it needs it.
pub(crate) fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// `smile status --user-id U --job-id J`: the command that shows a job.
pub(crate) fn status_command(user_id: &str, job_id: &str) -> String {
    format!(
        "smile status --user-id {} --job-id {}",
        quote(user_id),
        quote(job_id)
    )
}

/// The command line of this run (`args`: without the program name) as the command that
/// finishes the job: every flag as given, `--job-id ID --resume` at the end, and never the API
/// key (a key given as `--api-key` becomes `--api-key "$SMILE_API_KEY"`).
pub(crate) fn resume_command(args: &[String], job_id: &str) -> String {
    let mut out = vec!["smile".to_owned()];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        match a {
            "--job-id" => i += 1,
            "--resume" => {}
            "--api-key" => {
                i += 1;
                out.push("--api-key \"$SMILE_API_KEY\"".to_owned());
            }
            _ if a.starts_with("--job-id=") => {}
            _ if a.starts_with("--api-key=") => {
                out.push("--api-key \"$SMILE_API_KEY\"".to_owned());
            }
            _ => out.push(quote(a)),
        }
    }
    out.extend(["--job-id".to_owned(), quote(job_id), "--resume".to_owned()]);
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("user-17"), "user-17");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn the_resume_command_keeps_every_flag_but_the_key() {
        let args: Vec<String> = [
            "auth",
            "--api-key",
            "sekrit",
            "--user-id",
            "u 1",
            "--job-id",
            "old",
            "--selfie",
            "s.jpg",
            "--api-key=sekrit2",
        ]
        .map(String::from)
        .into();
        let cmd = resume_command(&args, "job-1");
        assert_eq!(
            cmd,
            "smile auth --api-key \"$SMILE_API_KEY\" --user-id 'u 1' --selfie s.jpg --api-key \"$SMILE_API_KEY\" --job-id job-1 --resume"
        );
        assert!(!cmd.contains("sekrit"));
    }
}
