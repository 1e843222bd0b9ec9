//! Messages as plain text plus HTML, built from the same short blocks so the two never disagree.
//! Every message ends by saying what to do if something looks wrong. A message to someone who
//! reads large print is set in larger text in its HTML part (the plain-text part takes the size the
//! reader's mail program gives it).

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The message holds a single-use link: its body is removed from the outbox once it is sent
    /// (or fails for good), so no copy of the database can follow the link.
    pub holds_secret: bool,
    /// An iCalendar file to send with the message (`domain::calendar`).
    pub calendar: Option<String>,
}

#[derive(Debug, Clone)]
enum Block {
    Paragraph(String),
    Link { label: String, url: String },
    List(Vec<String>),
}

/// A message under construction: `Template::new(subject).paragraph(..).link(..).render(to)`.
#[derive(Debug, Clone)]
pub struct Template {
    subject: String,
    greeting: Option<String>,
    blocks: Vec<Block>,
    footer: String,
    holds_secret: bool,
    large_print: bool,
}

/// The HTML part's text size: the standard one, and for large print (about 18 point on paper).
pub const BASE_FONT_PX: u32 = 18;
pub const LARGE_PRINT_FONT_PX: u32 = 24;

pub const DEFAULT_FOOTER: &str = "If anything here looks wrong, or you did not expect this email, \
please reply to your group's coordinator, who will put it right.";

impl Template {
    pub fn new(subject: impl Into<String>) -> Template {
        Template {
            subject: subject.into(),
            greeting: None,
            blocks: Vec::new(),
            footer: DEFAULT_FOOTER.to_string(),
            holds_secret: false,
            large_print: false,
        }
    }

    pub fn greeting(mut self, name: impl Into<String>) -> Template {
        self.greeting = Some(name.into());
        self
    }

    pub fn paragraph(mut self, text: impl Into<String>) -> Template {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    pub fn link(mut self, label: impl Into<String>, url: impl Into<String>) -> Template {
        self.blocks.push(Block::Link {
            label: label.into(),
            url: url.into(),
        });
        self
    }

    /// A link that carries a secret (a single-use token): as `link`, and the message is marked so
    /// that its body does not outlive its delivery.
    pub fn secret_link(mut self, label: impl Into<String>, url: impl Into<String>) -> Template {
        self.holds_secret = true;
        self.link(label, url)
    }

    pub fn list<I: IntoIterator<Item = S>, S: Into<String>>(mut self, items: I) -> Template {
        self.blocks
            .push(Block::List(items.into_iter().map(Into::into).collect()));
        self
    }

    pub fn footer(mut self, text: impl Into<String>) -> Template {
        self.footer = text.into();
        self
    }

    /// Sets the HTML part in large print when `on` (the reader asked for large print).
    pub fn large_print(mut self, on: bool) -> Template {
        self.large_print = on;
        self
    }

    pub fn render(&self, to: impl Into<String>) -> Email {
        let mut text = String::new();
        let mut html = String::from(
            "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        );
        html.push_str(&format!(
            "<title>{}</title></head>\n",
            escape(&self.subject)
        ));
        let (size, spacing) = if self.large_print {
            (LARGE_PRINT_FONT_PX, "1.6")
        } else {
            (BASE_FONT_PX, "1.5")
        };
        html.push_str(&format!(
            "<body style=\"font-family: Arial, sans-serif; font-size: {size}px; line-height: \
             {spacing}; color: #0b0c0c; max-width: 40em;\">\n"
        ));
        if let Some(name) = &self.greeting {
            text.push_str(&format!("Dear {name},\n\n"));
            html.push_str(&format!("<p>Dear {},</p>\n", escape(name)));
        }
        for block in &self.blocks {
            match block {
                Block::Paragraph(p) => {
                    text.push_str(p);
                    text.push_str("\n\n");
                    html.push_str(&format!("<p>{}</p>\n", escape(p)));
                }
                Block::Link { label, url } => {
                    text.push_str(&format!("{label}:\n{url}\n\n"));
                    html.push_str(&format!(
                        "<p><a href=\"{}\" style=\"color: #1d70b8;\">{}</a></p>\n",
                        escape(url),
                        escape(label)
                    ));
                }
                Block::List(items) => {
                    html.push_str("<ul>\n");
                    for item in items {
                        text.push_str(&format!("  - {item}\n"));
                        html.push_str(&format!("<li>{}</li>\n", escape(item)));
                    }
                    text.push('\n');
                    html.push_str("</ul>\n");
                }
            }
        }
        text.push_str(&self.footer);
        text.push('\n');
        html.push_str(&format!(
            "<p style=\"color: #505a5f;\">{}</p>\n</body></html>\n",
            escape(&self.footer)
        ));
        Email {
            to: to.into(),
            subject: self.subject.clone(),
            text,
            html,
            holds_secret: self.holds_secret,
            calendar: None,
        }
    }
}

impl Email {
    /// The message with a calendar file beside its text.
    pub fn with_calendar(mut self, ics: String) -> Email {
        self.calendar = Some(ics);
        self
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_html_say_the_same_and_html_is_escaped() {
        let email = Template::new("Your payment <approved>")
            .greeting("Sam & Alex")
            .paragraph("We will pay £75.00 on 4 July.")
            .list(["Meeting on 10 June: £75.00"])
            .link("See your payments", "https://coprod.example.org/me?x=1&y=2")
            .render("sam@example.org");
        assert_eq!(email.to, "sam@example.org");
        assert!(email.text.starts_with("Dear Sam & Alex,"));
        assert!(email.text.contains("We will pay £75.00 on 4 July."));
        assert!(email.text.contains("https://coprod.example.org/me?x=1&y=2"));
        assert!(email.text.contains("  - Meeting on 10 June: £75.00"));
        assert!(email.text.trim_end().ends_with(DEFAULT_FOOTER));
        assert!(email.html.contains("Dear Sam &amp; Alex,"));
        assert!(email.html.contains("&lt;approved&gt;"));
        assert!(email
            .html
            .contains("href=\"https://coprod.example.org/me?x=1&amp;y=2\""));
        assert!(!email.html.contains("<approved>"));
        assert!(email.html.contains("font-size: 18px; line-height: 1.5;"));
    }

    #[test]
    fn large_print_sets_larger_text_and_the_same_words() {
        let t = Template::new("Paid").paragraph("We paid you.");
        let standard = t.clone().render("a@example.org");
        let large = t.large_print(true).render("a@example.org");
        assert!(
            large.html.contains("font-size: 24px; line-height: 1.6;"),
            "{}",
            large.html
        );
        assert_eq!(large.text, standard.text);
    }
}
