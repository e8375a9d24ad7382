//! The command palette (`:`): every pane by name and every command, each
//! with a one-line description; suggestions ranked as you type (prefix
//! first, then fuzzy), Tab completes. Pure: the keys that use it are in
//! `app.rs`, its drawing in `render.rs`.

use crate::ui::panes::Pane;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

/// One thing `:` can run.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// What is typed after `:` (`streams`, `profile staging`).
    pub name: String,
    pub about: String,
    /// An alias not listed by `:help` (`quit` for `q`).
    pub hidden: bool,
}

fn cmd(name: impl Into<String>, about: impl Into<String>) -> Command {
    Command {
        name: name.into(),
        about: about.into(),
        hidden: false,
    }
}

/// Every command: the panes (in tab order), then the others.
pub fn commands(profiles: &[String]) -> Vec<Command> {
    let mut v: Vec<Command> = Pane::ALL
        .iter()
        .map(|p| {
            cmd(
                p.title().to_lowercase(),
                format!("pane {} (key {}): {}", p.title(), p.key_text(), p.about()),
            )
        })
        .collect();
    v.push(cmd(
        "profile",
        if profiles.is_empty() {
            "switch to another profile of the profile file".to_string()
        } else {
            format!("switch to another profile: {}", profiles.join(", "))
        },
    ));
    v.push(cmd(
        "requeue-all",
        "DLQ pane: requeue every dead letter of the DLQ shown (counted first)",
    ));
    v.push(cmd("help", "the keys of the open pane and these commands"));
    v.push(cmd("q", "quit"));
    v.push(Command {
        hidden: true,
        ..cmd("quit", "quit")
    });
    v
}

/// The suggestions for what is typed, best first: after `profile `, the
/// profile names; else the commands whose name starts with the text, then
/// those it matches fuzzily.
pub fn suggestions(text: &str, profiles: &[String]) -> Vec<Command> {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix("profile ") {
        let names: Vec<Command> = profiles
            .iter()
            .map(|p| cmd(format!("profile {p}"), format!("switch to profile {p}")))
            .collect();
        return rank(rest.trim(), names, |c| c["profile ".len()..].to_string());
    }
    let all: Vec<Command> = commands(profiles)
        .into_iter()
        .filter(|c| !c.hidden)
        .collect();
    rank(text.trim(), all, |c| c.to_string())
}

/// `items` that `needle` matches, prefix matches first (in their order),
/// then the fuzzy ones by score. An empty needle keeps them all.
fn rank(needle: &str, items: Vec<Command>, key: impl Fn(&str) -> String) -> Vec<Command> {
    if needle.is_empty() {
        return items;
    }
    let lower = needle.to_lowercase();
    let (mut prefix, rest): (Vec<Command>, Vec<Command>) = items
        .into_iter()
        .partition(|c| key(&c.name).to_lowercase().starts_with(&lower));
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(needle, CaseMatching::Ignore, Normalization::Smart);
    let keys: Vec<String> = rest.iter().map(|c| key(&c.name)).collect();
    let scored = pattern.match_list(
        keys.iter().enumerate().map(|(i, k)| Indexed(i, k)),
        &mut matcher,
    );
    prefix.extend(scored.into_iter().map(|(Indexed(i, _), _)| rest[i].clone()));
    prefix
}

/// A key with its index, so a match finds its command again.
struct Indexed<'a>(usize, &'a String);

impl AsRef<str> for Indexed<'_> {
    fn as_ref(&self) -> &str {
        self.1
    }
}

/// Tab: one suggestion is taken whole; several are completed to the
/// longest prefix they share when that adds to the text, else Tab walks
/// through them (`chosen` is the one shown). Returns the new text and choice.
pub fn complete(text: &str, chosen: Option<usize>, profiles: &[String]) -> (String, Option<usize>) {
    let list = suggestions(text, profiles);
    let with_space = |n: &str| {
        if n == "profile" {
            "profile ".to_string()
        } else {
            n.to_string()
        }
    };
    match list.len() {
        0 => (text.to_string(), None),
        1 => (with_space(&list[0].name), None),
        n => {
            if chosen.is_none() {
                let common = common_prefix(list.iter().map(|c| c.name.as_str()));
                if common.len() > text.trim().len() && common.starts_with(text.trim()) {
                    return (common, None);
                }
            }
            let next = chosen.map_or(0, |i| (i + 1) % n);
            (text.to_string(), Some(next))
        }
    }
}

fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = names.next() else {
        return String::new();
    };
    let mut end = first.len();
    for n in names {
        end = first
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(end);
    }
    first[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: Vec<Command>) -> Vec<String> {
        v.into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn pe_offers_pending_and_persistence_first() {
        let s = names(suggestions("pe", &[]));
        assert_eq!(&s[..2], &["pending", "persistence"]);
    }

    #[test]
    fn a_unique_prefix_completes_whole() {
        assert_eq!(complete("persi", None, &[]).0, "persistence");
        assert_eq!(complete("pro", None, &[]).0, "profile ");
    }

    #[test]
    fn fuzzy_finds_a_pane_from_letters_inside_it() {
        assert_eq!(names(suggestions("slg", &[]))[0], "slowlog");
    }

    #[test]
    fn profile_names_are_offered_after_profile() {
        let p = vec!["production".to_string(), "staging".into(), "prod-us".into()];
        assert_eq!(
            names(suggestions("profile ", &p)),
            ["profile production", "profile staging", "profile prod-us"]
        );
        assert_eq!(names(suggestions("profile st", &p)), ["profile staging"]);
        // Two names share "prod": the first Tab completes to it.
        assert_eq!(complete("profile pr", None, &p).0, "profile prod");
    }

    #[test]
    fn tab_walks_through_several_suggestions() {
        let (text, chosen) = complete("pe", None, &[]);
        assert_eq!((text.as_str(), chosen), ("pe", Some(0)));
        assert_eq!(complete("pe", Some(0), &[]).1, Some(1));
    }
}
