//! A printable PDF of a member's statement (A4, DejaVu Sans compiled in, so it looks the same
//! everywhere and every character a name may hold prints). The font is subset into each file.

use crate::domain::payrun::{Disposition, LineKind, RunStatus};
use printpdf::{
    CustomPdfConformance, IndirectFontRef, Line, Mm, PdfConformance, PdfDocument,
    PdfDocumentReference, PdfLayerReference, Point,
};

use super::statements::{long_date, Statement};
use super::{Error, Result};
use crate::domain::statement::{pounds, Totals};

const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
const LEFT: f32 = 15.0;
const RIGHT: f32 = WIDTH - 15.0;
const TOP: f32 = HEIGHT - 18.0;
const BOTTOM: f32 = 18.0;
/// Millimetres in a point.
const PT: f32 = 0.352_778;

fn pdf_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("writing the statement PDF failed: {e}"))
}

struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    faces: [ttf_parser::Face<'static>; 2],
    y: f32,
    page: u32,
    footer: String,
}

impl Writer {
    fn new(title: &str, footer: String) -> Result<Writer> {
        let (doc, page, layer) = PdfDocument::new(title, Mm(WIDTH), Mm(HEIGHT), "Statement");
        let doc = doc.with_conformance(PdfConformance::Custom(CustomPdfConformance {
            requires_icc_profile: false,
            requires_xmp_metadata: false,
            ..Default::default()
        }));
        let regular = doc
            .add_external_font_with_subsetting(REGULAR, true)
            .map_err(pdf_error)?;
        let bold = doc
            .add_external_font_with_subsetting(BOLD, true)
            .map_err(pdf_error)?;
        let faces = [
            ttf_parser::Face::parse(REGULAR, 0).map_err(pdf_error)?,
            ttf_parser::Face::parse(BOLD, 0).map_err(pdf_error)?,
        ];
        let layer = doc.get_page(page).get_layer(layer);
        let w = Writer {
            doc,
            layer,
            regular,
            bold,
            faces,
            y: TOP,
            page: 1,
            footer,
        };
        w.write_footer();
        Ok(w)
    }

    /// Width of `text` in millimetres at `size` points.
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = &self.faces[usize::from(bold)];
        let units = f32::from(face.units_per_em());
        let advance: f32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(units / 2.0, f32::from)
            })
            .sum();
        advance / units * size * PT
    }

    fn text(&self, x: f32, text: &str, size: f32, bold: bool) {
        let font = if bold { &self.bold } else { &self.regular };
        self.layer.use_text(text, size, Mm(x), Mm(self.y), font);
    }

    /// Text ending at `x`.
    fn right(&self, x: f32, text: &str, size: f32, bold: bool) {
        let w = self.width(text, size, bold);
        self.text(x - w, text, size, bold);
    }

    /// Text cut to fit `room` millimetres, with an ellipsis.
    fn fit(&self, text: &str, size: f32, room: f32) -> String {
        if self.width(text, size, false) <= room {
            return text.to_string();
        }
        let mut out: String = text.to_string();
        while !out.is_empty() && self.width(&format!("{out}…"), size, false) > room {
            out.pop();
        }
        format!("{}…", out.trim_end())
    }

    fn rule(&self) {
        let y = self.y + 1.5;
        self.layer.set_outline_thickness(0.4);
        self.layer.add_line(Line {
            points: vec![
                (Point::new(Mm(LEFT), Mm(y)), false),
                (Point::new(Mm(RIGHT), Mm(y)), false),
            ],
            is_closed: false,
        });
    }

    fn write_footer(&self) {
        let font = &self.regular;
        self.layer.use_text(
            format!("{} · page {}", self.footer, self.page),
            8.0,
            Mm(LEFT),
            Mm(10.0),
            font,
        );
    }

    fn new_page(&mut self) {
        let (page, layer) =
            self.doc
                .add_page(Mm(WIDTH), Mm(HEIGHT), format!("Page {}", self.page + 1));
        self.layer = self.doc.get_page(page).get_layer(layer);
        self.page += 1;
        self.y = TOP;
        self.write_footer();
    }

    /// Moves down `mm`, starting a new page first when less than `need` is left.
    fn down(&mut self, mm: f32, need: f32) {
        if self.y - mm - need < BOTTOM {
            self.new_page();
        } else {
            self.y -= mm;
        }
    }

    fn heading(&mut self, text: &str) {
        self.down(9.0, 14.0);
        self.text(LEFT, text, 12.0, true);
        self.down(2.0, 0.0);
    }

    /// A paragraph wrapped to the page width.
    fn paragraph(&mut self, text: &str, size: f32) {
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size, false) > RIGHT - LEFT && !line.is_empty() {
                self.down(size * PT * 1.45, 0.0);
                self.text(LEFT, &line, size, false);
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            self.down(size * PT * 1.45, 0.0);
            self.text(LEFT, &line, size, false);
        }
    }

    /// A table: the first column left-aligned at its x, the others right-aligned at theirs.
    fn table(&mut self, columns: &[(&str, f32)], rows: &[Vec<String>], size: f32) {
        let header = |w: &mut Writer| {
            w.down(6.0, 8.0);
            for (i, (h, x)) in columns.iter().enumerate() {
                if i == 0 {
                    w.text(*x, h, size, true);
                } else {
                    w.right(*x, h, size, true);
                }
            }
            w.rule();
        };
        header(self);
        for row in rows {
            let page = self.page;
            self.down(size * PT * 1.6, 0.0);
            if self.page != page {
                self.y += size * PT * 1.6;
                header(self);
                self.down(size * PT * 1.6, 0.0);
            }
            for (i, cell) in row.iter().enumerate() {
                let Some((_, x)) = columns.get(i) else { break };
                if i == 0 {
                    let room = columns.get(1).map_or(RIGHT, |c| c.1 - 28.0) - x;
                    let cell = self.fit(cell, size, room);
                    self.text(*x, &cell, size, false);
                } else {
                    self.right(*x, cell, size, false);
                }
            }
        }
    }
}

fn money_row(label: String, t: &Totals) -> Vec<String> {
    vec![
        label,
        pounds(t.earned + t.brought_forward),
        pounds(t.paid_fees),
        pounds(t.expenses_paid),
        pounds(t.donated),
        pounds(t.declined + t.forgone),
        pounds(t.carried_forward),
    ]
}

/// The statement as a PDF.
pub fn statement(s: &Statement) -> Result<Vec<u8>> {
    let title = format!("Payment statement: {}", s.member.full_name);
    let mut w = Writer::new(
        &title,
        format!(
            "{} · {} · made on {}",
            s.member.full_name,
            s.title,
            long_date(s.generated_on)
        ),
    )?;
    w.text(LEFT, "Payment statement", 18.0, true);
    w.down(9.0, 0.0);
    w.text(LEFT, &s.member.full_name, 12.0, false);
    if let Some(r) = &s.member.payee_reference {
        w.right(RIGHT, &format!("Reference {r}"), 10.0, false);
    }
    w.down(6.0, 0.0);
    w.text(
        LEFT,
        &format!("{}: {} to {}", s.title, long_date(s.from), long_date(s.to)),
        10.0,
        false,
    );

    let t = &s.figures.totals;
    w.heading("Summary");
    let facts: Vec<(String, String)> = [
        ("Fees paid to you", pounds(t.paid_fees)),
        ("of which in vouchers", pounds(t.paid_in_vouchers)),
        (
            "Expenses repaid to you (not earnings)",
            pounds(t.expenses_paid),
        ),
        ("Total paid to you", pounds(t.paid_to_member)),
        ("Fees given to charity at your request", pounds(t.donated)),
        ("Fees you chose not to take", pounds(t.declined)),
        ("Fees over your limit, not paid", pounds(t.forgone)),
        (
            "Held back by your limit, to be paid later",
            pounds(s.held_back_at_end),
        ),
        ("Business miles repaid", t.business_miles.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(s.figures.tax_years.iter().map(|y| {
        (
            format!("Fees in tax year {}", y.tax_year),
            format!(
                "{} ({} the {} trading allowance)",
                pounds(y.paid_fees),
                if y.passes_trading_allowance {
                    "more than"
                } else {
                    "within"
                },
                pounds(y.trading_allowance)
            ),
        )
    }))
    .collect();
    for (k, v) in facts {
        w.down(5.2, 0.0);
        w.text(LEFT, &k, 10.0, false);
        w.right(RIGHT, &v, 10.0, true);
    }

    let columns = [
        ("Month", LEFT),
        ("Due", 72.0),
        ("Paid fees", 95.0),
        ("Expenses", 118.0),
        ("To charity", 142.0),
        ("Not taken", 166.0),
        ("Held back", RIGHT),
    ];
    w.heading("By month");
    let mut rows: Vec<Vec<String>> = s
        .figures
        .months
        .iter()
        .map(|m| money_row(m.label.clone(), &m.totals))
        .collect();
    rows.push(money_row("Total".into(), t));
    w.table(&columns, &rows, 9.0);

    if !s.figures.cap_periods.is_empty() {
        w.heading("By limit period");
        let rows: Vec<Vec<String>> = s
            .figures
            .cap_periods
            .iter()
            .map(|p| {
                vec![
                    format!("{} to {}", p.start, p.end),
                    pounds(p.limit),
                    pounds(p.counted),
                    pounds(p.totals.carried_forward),
                    if p.within_limit { "yes" } else { "no" }.to_string(),
                ]
            })
            .collect();
        w.table(
            &[
                ("Period", LEFT),
                ("Limit", 110.0),
                ("Counted", 135.0),
                ("Held back", 160.0),
                ("Within", RIGHT),
            ],
            &rows,
            9.0,
        );
        if let Some(first) = s.figures.cap_periods.first() {
            w.down(5.0, 0.0);
            w.text(LEFT, &format!("Your limit: {}.", first.cap), 9.0, false);
        }
    }

    w.heading("Every payment");
    let rows: Vec<Vec<String>> = s
        .lines
        .iter()
        .map(|l| {
            let what = match l.kind {
                LineKind::Fee => "Fee",
                LineKind::Prep => "Preparation",
                LineKind::Expense => "Expenses",
                LineKind::Carried => "Held back earlier",
                LineKind::Adjustment => "Correction",
            };
            let outcome = match l.disposition {
                Disposition::Paid if l.status == RunStatus::Paid => "paid",
                Disposition::Paid => "to be paid",
                Disposition::CarriedForward => "held back",
                Disposition::Donated => "to charity",
                Disposition::Declined => "not taken",
                Disposition::Forgone => "over limit",
            };
            vec![
                format!(
                    "{} {}",
                    l.payment_date,
                    l.meeting_title.as_deref().unwrap_or("")
                ),
                what.to_string(),
                outcome.to_string(),
                pounds(l.amount),
            ]
        })
        .collect();
    if rows.is_empty() {
        w.down(5.0, 0.0);
        w.text(LEFT, "Nothing was paid in these dates.", 10.0, false);
    } else {
        w.table(
            &[
                ("Date and meeting", LEFT),
                ("What", 140.0),
                ("Outcome", 165.0),
                ("Amount", RIGHT),
            ],
            &rows,
            8.5,
        );
    }

    w.heading("Notes");
    for n in &s.notes {
        w.paragraph(n, 9.5);
        w.down(1.5, 0.0);
    }
    w.doc.save_to_bytes().map_err(pdf_error)
}
