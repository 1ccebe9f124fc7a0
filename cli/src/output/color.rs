//! Colour, only where it helps and only where it is wanted: `--color auto` (the default)
//! colours stdout when it is a terminal, `NO_COLOR` is set to nothing and `TERM` is not
//! `dumb`; `always` and `never` decide alone. Colour marks what needs attention (a
//! degraded or failed cluster, an unhealthy member, a failed backup); the text says the
//! same without it.

use std::io::IsTerminal;

/// The `--color` flag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb.
    #[default]
    Auto,
    /// Always colour, even into a pipe or a file.
    Always,
    /// Never colour.
    Never,
}

/// How a value reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// As it should be (green).
    Good,
    /// Working, or short of what was asked (yellow).
    Warning,
    /// Broken: needs someone (red).
    Bad,
}

/// Whether text gets colour codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    enabled: bool,
}

/// What `--color auto` looks at, gathered so the decision is a pure function.
#[derive(Clone, Copy, Debug)]
pub struct Surroundings {
    /// stdout is a terminal.
    pub terminal: bool,
    /// `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub no_color: bool,
    /// `TERM` is `dumb`.
    pub dumb_terminal: bool,
}

impl Surroundings {
    /// This process's stdout and environment.
    pub fn of_stdout() -> Surroundings {
        Surroundings {
            terminal: std::io::stdout().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()),
            dumb_terminal: std::env::var_os("TERM").is_some_and(|value| value == "dumb"),
        }
    }
}

impl Palette {
    /// No colour at all (what the tests compare plain text with).
    #[cfg(test)]
    pub const PLAIN: Palette = Palette { enabled: false };

    /// The palette `choice` gives in `surroundings`.
    pub fn new(choice: ColorChoice, surroundings: Surroundings) -> Palette {
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                surroundings.terminal && !surroundings.no_color && !surroundings.dumb_terminal
            }
        };
        Palette { enabled }
    }

    /// `text` in the colour of `tone` (unchanged without colour).
    pub fn paint(self, text: &str, tone: Tone) -> String {
        if !self.enabled {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Warning => "33",
            Tone::Bad => "31",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// `text` painted when there is a tone, else unchanged.
    pub fn paint_if(self, text: &str, tone: Option<Tone>) -> String {
        match tone {
            Some(tone) => self.paint(text, tone),
            None => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMINAL: Surroundings = Surroundings { terminal: true, no_color: false, dumb_terminal: false };

    #[test]
    fn auto_colours_a_terminal_only_and_respects_no_color_and_dumb() {
        assert!(Palette::new(ColorChoice::Auto, TERMINAL).enabled);
        let pipe = Surroundings { terminal: false, ..TERMINAL };
        assert!(!Palette::new(ColorChoice::Auto, pipe).enabled);
        let no_color = Surroundings { no_color: true, ..TERMINAL };
        assert!(!Palette::new(ColorChoice::Auto, no_color).enabled);
        let dumb = Surroundings { dumb_terminal: true, ..TERMINAL };
        assert!(!Palette::new(ColorChoice::Auto, dumb).enabled);
    }

    #[test]
    fn always_and_never_decide_alone() {
        let pipe_no_color = Surroundings { terminal: false, no_color: true, dumb_terminal: true };
        assert!(Palette::new(ColorChoice::Always, pipe_no_color).enabled);
        assert!(!Palette::new(ColorChoice::Never, TERMINAL).enabled);
    }

    #[test]
    fn paint_wraps_in_sgr_codes_only_when_enabled() {
        let on = Palette::new(ColorChoice::Always, TERMINAL);
        assert_eq!(on.paint("Failed", Tone::Bad), "\x1b[31mFailed\x1b[0m");
        assert_eq!(on.paint("Running", Tone::Good), "\x1b[32mRunning\x1b[0m");
        assert_eq!(on.paint_if("Scaling", Some(Tone::Warning)), "\x1b[33mScaling\x1b[0m");
        assert_eq!(on.paint_if("x", None), "x");
        assert_eq!(Palette::PLAIN.paint("Failed", Tone::Bad), "Failed");
    }
}
