//! Printable A4 pages (DejaVu Sans compiled in, so a file looks the same everywhere and every
//! character a name may hold prints; the font is subset into each file): a `Writer` that sets
//! text, headings, wrapped paragraphs and tables down the page, starting new pages with a footer
//! as it goes. `statement::write_pdf` lays out a member's statement with it.

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
}

impl Writer {
    /// A document of one page so far, each page with `footer` and its number at the bottom.
    pub fn new(title: &str, footer: String) -> Result<Writer> {
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

    /// Text starting at `x`, on the current line.
    pub fn text(&self, x: f32, text: &str, size: f32, bold: bool) {
        let font = if bold { &self.bold } else { &self.regular };
        self.layer.use_text(text, size, Mm(x), Mm(self.y), font);
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
    pub fn down(&mut self, mm: f32, need: f32) {
        if self.y - mm - need < BOTTOM {
            self.new_page();
        } else {
            self.y -= mm;
        }
    }

    pub fn heading(&mut self, text: &str) {
        self.down(9.0, 14.0);
        self.text(LEFT, text, 12.0, true);
        self.down(2.0, 0.0);
    }

    /// A paragraph wrapped to the page width.
    pub fn paragraph(&mut self, text: &str, size: f32) {
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
    pub fn table(&mut self, columns: &[(&str, f32)], rows: &[Vec<String>], size: f32) {
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

    /// The finished file.
    pub fn save(self) -> Result<Vec<u8>> {
        self.doc.save_to_bytes().map_err(pdf_error)
    }
}
