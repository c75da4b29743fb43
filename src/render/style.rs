//! Colour, only on a terminal and never with `--no-color` or `NO_COLOR`.

use anstyle::{AnsiColor, Style as Ansi};

#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn plain() -> Self {
        Style { color: false }
    }

    fn paint(&self, style: Ansi, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    pub fn green(&self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }
    pub fn yellow(&self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }
    pub fn red(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }
    pub fn cyan(&self, text: &str) -> String {
        self.paint(AnsiColor::Cyan.on_default(), text)
    }
    pub fn bold(&self, text: &str) -> String {
        self.paint(Ansi::new().bold(), text)
    }
    pub fn dim(&self, text: &str) -> String {
        self.paint(Ansi::new().dimmed(), text)
    }
    pub fn strike(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default().strikethrough(), text)
    }
    pub fn underline(&self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default().underline(), text)
    }
}
