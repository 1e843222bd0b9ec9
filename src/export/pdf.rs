//! Printable A4 pages (DejaVu Sans compiled in, so a file looks the same everywhere and every
//! character a name may hold prints; the font is subset into each file): a `Writer` that sets
//! text, headings, wrapped paragraphs, facts and tables down the page, starting new pages with a
//! footer as it goes. `statement::write_pdf` lays out a member's statement with it, and
//! `letter::write_pdf` a letter about a member's payments.
//!
//! In large print every size asked for is scaled up to at least 16 point (RNIB's clear print
//! guidance), gaps grow with it, and a table is set as one block per row (each value under its
//! row's name, with its column's name) because its columns would no longer fit across the page.

use printpdf::{
    CustomPdfConformance, IndirectFontRef, Line, Mm, PdfConformance, PdfDocument,
    PdfDocumentReference, PdfLayerReference, Point,
};

use super::{Error, Result};

const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
/// Where text starts and ends across the page, in millimetres.
pub const LEFT: f32 = 15.0;
pub const RIGHT: f32 = WIDTH - 15.0;
const TOP: f32 = HEIGHT - 18.0;
const BOTTOM: f32 = 18.0;
/// Millimetres in a point.
const PT: f32 = 0.352_778;
/// Large print: sizes and gaps grow by this much, and no text is smaller than `LARGE_MIN` or
/// larger than `LARGE_MAX` points.
const LARGE_SCALE: f32 = 1.6;
pub const LARGE_MIN: f32 = 16.0;
const LARGE_MAX: f32 = 28.0;

fn pdf_error(e: impl std::fmt::Display) -> Error {
    Error::from(anyhow::anyhow!("writing the statement PDF failed: {e}"))
}

/// A document being written, top to bottom.
pub struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    faces: [ttf_parser::Face<'static>; 2],
    y: f32,
    page: u32,
    footer: String,
    large: bool,
}

impl Writer {
    /// A document of one page so far, each page with `footer` and its number at the bottom; in
    /// large print when `large`.
    pub fn new(title: &str, footer: String, large: bool) -> Result<Writer> {
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
            large,
        };
        w.write_footer();
        Ok(w)
    }

    /// Whether this document is in large print.
    pub fn is_large(&self) -> bool {
        self.large
    }

    /// The size text asked for at `size` points is set in.
    fn size(&self, size: f32) -> f32 {
        if self.large {
            (size * LARGE_SCALE).clamp(LARGE_MIN, LARGE_MAX)
        } else {
            size
        }
    }

    /// The height of a line of text asked for at `size` points, with its spacing.
    fn line_height(&self, size: f32, spacing: f32) -> f32 {
        self.size(size) * PT * spacing
    }

    /// Width of `text` in millimetres, asked for at `size` points.
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let size = self.size(size);
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

    /// Text starting at `x`, on the current line.
    pub fn text(&self, x: f32, text: &str, size: f32, bold: bool) {
        let font = if bold { &self.bold } else { &self.regular };
        self.layer
            .use_text(text, self.size(size), Mm(x), Mm(self.y), font);
    }

    /// Text ending at `x`.
    pub fn right(&self, x: f32, text: &str, size: f32, bold: bool) {
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

    /// A line under the text of the current line (a table's header).
    fn rule(&self) {
        let y = self.y - 1.2;
        self.layer.set_outline_thickness(0.4);
        self.layer.add_line(Line {
            points: vec![
                (Point::new(Mm(LEFT), Mm(y)), false),
                (Point::new(Mm(RIGHT), Mm(y)), false),
            ],
            is_closed: false,
        });
    }

    /// The footer: its words (cut to fit in large print) and the page number.
    fn write_footer(&self) {
        let font = &self.regular;
        let size = self.size(8.0);
        if self.large {
            let number = format!("page {}", self.page);
            let room = RIGHT - LEFT - self.width(&number, 8.0, false) - 6.0;
            let words = self.fit(&self.footer, 8.0, room);
            self.layer.use_text(words, size, Mm(LEFT), Mm(10.0), font);
            let x = RIGHT - self.width(&number, 8.0, false);
            self.layer.use_text(number, size, Mm(x), Mm(10.0), font);
        } else {
            self.layer.use_text(
                format!("{} · page {}", self.footer, self.page),
                size,
                Mm(LEFT),
                Mm(10.0),
                font,
            );
        }
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        let (page, layer) =
            self.doc
                .add_page(Mm(WIDTH), Mm(HEIGHT), format!("Page {}", self.page + 1));
        self.layer = self.doc.get_page(page).get_layer(layer);
        self.page += 1;
        self.y = TOP;
        self.write_footer();
    }

    /// Moves down `mm` (more in large print), starting a new page first when less than `need` is
    /// left.
    pub fn down(&mut self, mm: f32, need: f32) {
        let scale = if self.large { LARGE_SCALE } else { 1.0 };
        self.advance(mm * scale, need * scale);
    }

    /// Moves down exactly `mm`, starting a new page first when less than `need` is left.
    fn advance(&mut self, mm: f32, need: f32) {
        if self.y - mm - need < BOTTOM {
            self.new_page();
        } else {
            self.y -= mm;
        }
    }

    pub fn heading(&mut self, text: &str) {
        self.heading_sized(text, 12.0);
    }

    /// A heading at `size` points, with room above it for its own height, kept with what follows.
    pub fn heading_sized(&mut self, text: &str, size: f32) {
        let scale = if self.large { LARGE_SCALE } else { 1.0 };
        self.advance(
            self.line_height(size, 1.2) + 4.0 * scale,
            self.line_height(size, 2.5),
        );
        self.text(LEFT, text, size, true);
        self.down(2.0, 0.0);
    }

    /// A paragraph wrapped to the page width.
    pub fn paragraph(&mut self, text: &str, size: f32) {
        self.wrapped(LEFT, text, size, false);
    }

    /// Text from `x` wrapped to the right margin, a line at a time.
    fn wrapped(&mut self, x: f32, text: &str, size: f32, bold: bool) {
        let mut line = String::new();
        let words: Vec<String> = text
            .split_whitespace()
            .flat_map(|w| self.broken(w, size, bold, RIGHT - x))
            .collect();
        for word in words {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size, bold) > RIGHT - x && !line.is_empty() {
                self.advance(self.line_height(size, 1.45), 0.0);
                self.text(x, &line, size, bold);
                line = word;
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            self.advance(self.line_height(size, 1.45), 0.0);
            self.text(x, &line, size, bold);
        }
    }

    /// A word cut into pieces that each fit `room` millimetres (a long address or reference
    /// would otherwise run off the page).
    fn broken(&self, word: &str, size: f32, bold: bool, room: f32) -> Vec<String> {
        let mut out = Vec::new();
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if self.width(&piece, size, bold) > room && piece.chars().count() > 1 {
                piece.pop();
                out.push(std::mem::replace(&mut piece, c.to_string()));
            }
        }
        out.push(piece);
        out
    }

    /// A record: its title in bold, then each of its facts ("label: value") on a line of its
    /// own, kept together on a page where it fits.
    pub fn record(&mut self, title: &str, facts: &[(String, String)], size: f32) {
        let block = self.line_height(size, 1.5) * (facts.len() + 1) as f32;
        self.advance(self.line_height(size, 0.6), block.min(HEIGHT / 3.0));
        self.wrapped(LEFT, title, size, true);
        for (name, value) in facts {
            self.fact(&format!("{name}:"), value, size);
        }
    }

    /// Lines of text, one under another (an address).
    pub fn lines(&mut self, lines: &[String], size: f32) {
        for l in lines {
            self.wrapped(LEFT, l, size, false);
        }
    }

    /// A label and its value: the value on the right of the same line, or, when both do not fit,
    /// under the label.
    pub fn fact(&mut self, label: &str, value: &str, size: f32) {
        let room = RIGHT - LEFT;
        if self.width(label, size, false) + self.width(value, size, true) + 6.0 <= room {
            self.advance(self.line_height(size, 1.5), 0.0);
            self.text(LEFT, label, size, false);
            self.right(RIGHT, value, size, true);
        } else {
            self.wrapped(LEFT, label, size, false);
            self.wrapped(LEFT + 6.0, value, size, true);
        }
    }

    /// A table: the first column left-aligned at its x, the others right-aligned at theirs. In
    /// large print, a block per row instead (`stacked`).
    pub fn table(&mut self, columns: &[(&str, f32)], rows: &[Vec<String>], size: f32) {
        if self.large {
            return self.stacked(columns, rows, size);
        }
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
        let row_height = self.line_height(size, 1.6);
        for row in rows {
            let page = self.page;
            self.advance(row_height, 0.0);
            if self.page != page {
                self.y += row_height;
                header(self);
                self.advance(row_height, 0.0);
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

    /// A table as a block per row: the row's first cell in bold, then each other cell as
    /// "column: value" on a line of its own.
    fn stacked(&mut self, columns: &[(&str, f32)], rows: &[Vec<String>], size: f32) {
        for row in rows {
            let facts: Vec<(String, String)> = columns
                .iter()
                .skip(1)
                .zip(row.iter().skip(1))
                .map(|((name, _), cell)| (name.to_string(), cell.clone()))
                .collect();
            self.record(row.first().map_or("", |s| s.as_str()), &facts, size);
        }
    }

    /// The finished file.
    pub fn save(self) -> Result<Vec<u8>> {
        self.doc.save_to_bytes().map_err(pdf_error)
    }
}
