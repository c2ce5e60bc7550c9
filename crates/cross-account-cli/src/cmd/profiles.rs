//! `profiles`: the role profiles of the shared AWS config, as `--profile` would read them.

use cross_account::SharedConfig;

use crate::error::{CliError, Hop, EXIT_OK};

pub fn run() -> Result<i32, CliError> {
    let config = SharedConfig::load().map_err(|err| CliError::Core {
        err,
        hop: Hop::First,
    })?;
    let rows: Vec<[String; 4]> = config
        .role_profiles()
        .into_iter()
        .map(|p| {
            let id = if p.external_id.is_some() { "set" } else { "-" };
            [p.name, p.role_arn, id.to_string(), p.source]
        })
        .collect();
    if rows.is_empty() {
        crate::stdio::note(&format!(
            "no role profiles (role_arn) in {} or {}",
            config.files().config_path(),
            config.files().credentials_path()
        ));
        return Ok(EXIT_OK);
    }
    let header = [
        "PROFILE".to_string(),
        "ROLE_ARN".into(),
        "EXTERNAL_ID".into(),
        "SOURCE".into(),
    ];
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    super::print_stdout(&out)?;
    Ok(EXIT_OK)
}
