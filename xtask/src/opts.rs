//! Every `cargo xtask` command and its options, declared once: the usage text, the check of what
//! was typed and each option's default all come from [`COMMANDS`], so they cannot disagree.

use anyhow::{Context, Result, anyhow};
use std::str::FromStr;

/// One option: `--name VALUE` with its default, or a switch (`default: None`).
#[derive(Debug)]
pub struct Opt {
    pub name: &'static str,
    /// The value when the option is not given; `None` for a switch, which takes no value.
    pub default: Option<&'static str>,
    pub help: &'static str,
}

#[derive(Debug)]
pub struct Cmd {
    pub name: &'static str,
    pub summary: &'static str,
    pub opts: &'static [Opt],
}

const fn value(name: &'static str, default: &'static str, help: &'static str) -> Opt {
    Opt { name, default: Some(default), help }
}

const fn switch(name: &'static str, help: &'static str) -> Opt {
    Opt { name, default: None, help }
}

pub const COMMANDS: &[Cmd] = &[
    Cmd {
        name: "bench",
        summary: "apply, refresh and plan N objects against the simulator beside the plugin floor and terraform_data",
        opts: &[
            value("--n", "100,500,2000", "object counts, comma-separated"),
            value("--latency-ms", "25", "the simulator's answer delay per request"),
            value("--parallelism", "10", "terraform's -parallelism"),
            value("--reps", "7", "runs per command for N ≤ 500; the median counts"),
            value(
                "--admin-scopes",
                "idporten:scopes.read,idporten:scopes.write,idporten:dcr.read,idporten:dcr.write",
                "the provider's `scopes`, comma-separated, as an organisation that is API provider and consumer sets them (none: unset, learnt per operation)",
            ),
            value("--out", "target/bench/bench.json", "where the figures go (JSON)"),
            switch("--keep", "keep the working directories and request logs"),
        ],
    },
    Cmd {
        name: "chaos",
        summary: "apply, change and destroy the complete example over and over under fault profiles",
        opts: &[
            value("--rounds", "200", "rounds per profile"),
            value("--profiles", "all", "profile names, comma-separated"),
            value("--seed", "1", "the simulator's fault seed"),
            value("--jobs", "3", "profiles run at once"),
            value("--out", "target/chaos/chaos.json", "where the tallies go (JSON)"),
            switch("--release", "build the provider in release mode"),
            switch("--verbose", "print every round"),
        ],
    },
    Cmd {
        name: "fuzz",
        summary: "a short cargo-fuzz run of every target, seeded from the test suite",
        opts: &[
            value("--secs", "60", "seconds per target"),
            value("--targets", "all", "target names, comma-separated"),
        ],
    },
    Cmd {
        name: "docs",
        summary: "write docs/ from the schema and docs/templates/",
        opts: &[switch("--check", "only report pages that differ (exit 1)")],
    },
    Cmd {
        name: "quickstart",
        summary: "build, start the simulator, apply both halves of examples/complete/ as two organisations, plan again",
        opts: &[switch("--keep", "leave the simulator running and print how to use it")],
    },
];

/// The usage text of every command, made from [`COMMANDS`].
pub fn usage() -> String {
    let mut text = String::from("usage:\n");
    for cmd in COMMANDS {
        let synopsis: Vec<String> = cmd
            .opts
            .iter()
            .map(|o| match o.default {
                Some(d) => format!("[{} {d}]", o.name),
                None => format!("[{}]", o.name),
            })
            .collect();
        text.push_str(&format!("  cargo xtask {} {}\n      {}\n", cmd.name, synopsis.join(" "), cmd.summary));
        for o in cmd.opts {
            text.push_str(&format!("      {:<15} {}\n", o.name, o.help));
        }
    }
    text
}

/// What was typed after a command, checked against its declaration.
#[derive(Debug)]
pub struct Args {
    cmd: &'static Cmd,
    given: Vec<(&'static str, Option<String>)>,
}

impl Args {
    /// Parse `argv` (the command name first). An unknown command or option, or an option without
    /// its value, is an error naming it: nothing that takes minutes starts on a typo.
    pub fn parse(argv: &[String]) -> Result<Args, String> {
        let name = argv.first().ok_or("no command given")?;
        let cmd = COMMANDS.iter().find(|c| c.name == name).ok_or_else(|| format!("unknown command {name:?}"))?;
        let mut given = vec![];
        let mut it = argv[1..].iter();
        while let Some(a) = it.next() {
            let opt = cmd
                .opts
                .iter()
                .find(|o| o.name == a)
                .ok_or_else(|| format!("xtask {name}: unexpected argument {a:?}"))?;
            let v = match opt.default {
                Some(_) => Some(it.next().ok_or_else(|| format!("xtask {name}: {a} needs a value"))?.clone()),
                None => None,
            };
            given.push((opt.name, v));
        }
        Ok(Args { cmd, given })
    }

    pub fn command(&self) -> &'static str {
        self.cmd.name
    }

    fn declared(&self, name: &str) -> &'static Opt {
        self.cmd
            .opts
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("{name} is not declared for xtask {}", self.cmd.name))
    }

    /// Whether a switch was given.
    pub fn on(&self, name: &str) -> bool {
        debug_assert!(self.declared(name).default.is_none());
        self.given.iter().any(|(n, _)| *n == name)
    }

    /// The text of a value option: the last one given, else its declared default.
    pub fn text(&self, name: &str) -> &str {
        let default = self.declared(name).default.expect("a value option");
        self.given.iter().rev().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_deref()).unwrap_or(default)
    }

    /// A value option parsed as `T`.
    pub fn get<T: FromStr>(&self, name: &str) -> Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let text = self.text(name);
        text.parse().with_context(|| format!("xtask {}: {name} {text:?}", self.cmd.name))
    }

    /// A comma-separated value option, each item parsed as `T`; `None` for the default "all".
    pub fn list<T: FromStr>(&self, name: &str) -> Result<Option<Vec<T>>>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.text(name);
        if text == "all" {
            return Ok(None);
        }
        text.split(',')
            .map(|s| s.trim().parse::<T>().map_err(|e| anyhow!("xtask {}: {name}: {s:?}: {e}", self.cmd.name)))
            .collect::<Result<Vec<T>>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults_come_from_the_declaration() {
        let a = Args::parse(&argv("bench")).unwrap();
        assert_eq!(a.get::<u64>("--latency-ms").unwrap(), 25);
        assert_eq!(a.list::<usize>("--n").unwrap(), Some(vec![100, 500, 2000]));
        assert!(!a.on("--keep"));
        let a = Args::parse(&argv("bench --n 7 --keep")).unwrap();
        assert_eq!(a.list::<usize>("--n").unwrap(), Some(vec![7]));
        assert!(a.on("--keep"));
    }

    #[test]
    fn typos_and_missing_values_are_refused_by_name() {
        assert!(Args::parse(&argv("bench --latency 5")).unwrap_err().contains("--latency"));
        assert!(Args::parse(&argv("chaos --rounds")).unwrap_err().contains("needs a value"));
        assert!(Args::parse(&argv("benhc")).unwrap_err().contains("unknown command"));
        assert!(Args::parse(&argv("docs --help")).is_err());
    }

    #[test]
    fn bad_numbers_name_the_option() {
        let a = Args::parse(&argv("chaos --rounds many")).unwrap();
        assert!(format!("{:#}", a.get::<u64>("--rounds").unwrap_err()).contains("--rounds \"many\""));
    }

    #[test]
    fn the_usage_lists_every_option_with_its_default() {
        let u = usage();
        for cmd in COMMANDS {
            for o in cmd.opts {
                assert!(u.contains(o.name), "{} missing from usage", o.name);
                if let Some(d) = o.default {
                    assert!(u.contains(&format!("[{} {d}]", o.name)), "{} default missing", o.name);
                }
            }
        }
    }
}
