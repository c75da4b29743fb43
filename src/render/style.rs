//! Colour, only on a terminal and never with `--no-color` or `NO_COLOR`.

use anstyle::{AnsiColor, Style as Ansi};

#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    pub(crate) fn plain() -> Self {
        Style { color: false }
    }

    fn paint(&self, style: Ansi, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    pub(crate) fn green(&self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }
    pub(crate) fn yellow(&self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }
    pub(crate) fn red(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }
    pub(crate) fn cyan(&self, text: &str) -> String {
        self.paint(AnsiColor::Cyan.on_default(), text)
    }
    pub(crate) fn bold(&self, text: &str) -> String {
        self.paint(Ansi::new().bold(), text)
    }
    pub(crate) fn dim(&self, text: &str) -> String {
        self.paint(Ansi::new().dimmed(), text)
    }
    pub(crate) fn strike(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default().strikethrough(), text)
    }
    pub(crate) fn underline(&self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default().underline(), text)
    }
}
