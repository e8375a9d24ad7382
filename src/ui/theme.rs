//! Colour themes, as data files under `themes/` (built in) or a path.
//! `NO_COLOR` turns every colour off; emphasis then comes from bold and reverse.

use crate::config::Environment;
use crate::error::{Failure, Result};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::str::FromStr;

const BUILTIN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.yaml")),
    ("light", include_str!("../../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.yaml"),
    ),
];

#[derive(Debug, Deserialize)]
struct RawTheme {
    name: String,
    text: String,
    dim: String,
    accent: String,
    title: String,
    ok: String,
    warn: String,
    crit: String,
    selection_bg: String,
    selection_fg: String,
    header_fg: String,
    development: String,
    staging: String,
    production: String,
    gauge: String,
    sparkline: String,
    highlight: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub mono: bool,
    pub text: Color,
    pub dim: Color,
    pub accent: Color,
    pub title: Color,
    pub ok: Color,
    pub warn: Color,
    pub crit: Color,
    pub selection_bg: Color,
    pub selection_fg: Color,
    pub header_fg: Color,
    pub development: Color,
    pub staging: Color,
    pub production: Color,
    pub gauge: Color,
    pub sparkline: Color,
    pub highlight: Color,
}

fn color(name: &str, key: &str, v: &str) -> Result<Color> {
    Color::from_str(v).map_err(|_| {
        Failure::config(format!(
            "theme '{name}': {key} is `{v}`, not a colour; use a name like red, a #rrggbb value or 0-255"
        ))
    })
}

impl Theme {
    pub fn names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).collect()
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme> {
        let text = match BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            Some((_, t)) => t.to_string(),
            None => std::fs::read_to_string(name_or_path).map_err(|_| {
                Failure::config(format!(
                    "unknown theme '{name_or_path}'; use one of {} or the path of a theme file",
                    Theme::names().join(", ")
                ))
            })?,
        };
        let raw: RawTheme = serde_saphyr::from_str(&text).map_err(|e| {
            Failure::config(format!(
                "theme '{name_or_path}' is not valid: {}",
                e.without_snippet().to_string().lines().next().unwrap_or("")
            ))
        })?;
        let n = raw.name.clone();
        Ok(Theme {
            text: color(&n, "text", &raw.text)?,
            dim: color(&n, "dim", &raw.dim)?,
            accent: color(&n, "accent", &raw.accent)?,
            title: color(&n, "title", &raw.title)?,
            ok: color(&n, "ok", &raw.ok)?,
            warn: color(&n, "warn", &raw.warn)?,
            crit: color(&n, "crit", &raw.crit)?,
            selection_bg: color(&n, "selection_bg", &raw.selection_bg)?,
            selection_fg: color(&n, "selection_fg", &raw.selection_fg)?,
            header_fg: color(&n, "header_fg", &raw.header_fg)?,
            development: color(&n, "development", &raw.development)?,
            staging: color(&n, "staging", &raw.staging)?,
            production: color(&n, "production", &raw.production)?,
            gauge: color(&n, "gauge", &raw.gauge)?,
            sparkline: color(&n, "sparkline", &raw.sparkline)?,
            highlight: color(&n, "highlight", &raw.highlight)?,
            name: raw.name,
            mono: false,
        })
    }

    pub fn default_dark() -> Theme {
        Theme::load("dark").expect("built-in theme parses")
    }

    /// Every colour off (NO_COLOR).
    pub fn monochrome() -> Theme {
        let r = Color::Reset;
        Theme {
            name: "no-color".into(),
            mono: true,
            text: r,
            dim: r,
            accent: r,
            title: r,
            ok: r,
            warn: r,
            crit: r,
            selection_bg: r,
            selection_fg: r,
            header_fg: r,
            development: r,
            staging: r,
            production: r,
            gauge: r,
            sparkline: r,
            highlight: r,
        }
    }

    pub fn env_color(&self, e: Environment) -> Color {
        match e {
            Environment::Development => self.development,
            Environment::Staging => self.staging,
            Environment::Production => self.production,
        }
    }

    pub fn header(&self, e: Environment) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
                .bg(self.env_color(e))
                .fg(self.header_fg)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn selected(&self) -> Style {
        if self.mono || self.name == "high-contrast" {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.selection_bg)
                .fg(self.selection_fg)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn warn(&self) -> Style {
        let s = Style::default().fg(self.warn);
        if self.mono {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    pub fn crit(&self) -> Style {
        let s = Style::default().fg(self.crit).add_modifier(Modifier::BOLD);
        if self.mono {
            s.add_modifier(Modifier::REVERSED)
        } else {
            s
        }
    }

    pub fn ok(&self) -> Style {
        Style::default().fg(self.ok)
    }

    pub fn dim(&self) -> Style {
        if self.mono {
            Style::default()
        } else {
            Style::default().fg(self.dim)
        }
    }

    pub fn title(&self) -> Style {
        Style::default().fg(self.title).add_modifier(Modifier::BOLD)
    }

    pub fn accent(&self) -> Style {
        Style::default().fg(self.accent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse() {
        for n in Theme::names() {
            let t = Theme::load(n).unwrap();
            assert_eq!(t.name, n);
        }
        assert!(
            Theme::load("nope")
                .unwrap_err()
                .message()
                .contains("dark, light, high-contrast")
        );
    }
}
