//! Stage 3, layout: comma-separated text (spreadsheet exports) read with `csv_core`.
//!
//! Excel writes a merged cell as its text followed by blank cells, so blanks stay blank
//! (`Cell::new("")`, not merged): the export no longer says which blanks were merges and
//! which were empty cells. Title lines above the table (`项目支出绩效目标表`, `(2022年度)`)
//! arrive as one-field records and become one-cell rows, as in every other reader.

use std::cell::RefCell;

use compact_str::CompactString;

use super::{Cell, Grid};

/// Reads CSV text into rows of cells, one row per record.
///
/// Quoted fields may hold commas, quotes (`""`) and line breaks; records may have any
/// number of fields. A record whose only non-blank field is the first (a title written into
/// a merged `A1:H1`, exported as `标题,,,,,,,`) becomes a one-cell row; records that are blank
/// throughout (Excel's empty rows) are dropped. Never fails: a malformed record is skipped.
pub fn read(text: &str) -> Grid {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The parser is built once per thread and reset for each file: building one (its DFA)
    // took as many instructions as reading a small file.
    CORE.with_borrow_mut(|core| {
        core.reset();
        let mut grid = Grid::default();
        let mut record = Record::default();
        let mut input = text.as_bytes();
        while record.read(core, &mut input) {
            if crate::ingest::deadline::tick() {
                break;
            }
            let mut row: Vec<Cell> = record.fields().map(|f| Cell::new(field_text(f))).collect();
            let last_filled = row.iter().rposition(|c| !c.is_blank());
            match last_filled {
                None => continue,
                Some(0) => row.truncate(1),
                Some(_) => {}
            }
            grid.rows.push(super::row_of(row));
        }
        grid
    })
}

thread_local! {
    // `csv_core`'s defaults are the `csv` crate's: comma, double quotes doubled inside quotes,
    // CRLF or LF or CR ends a record, a leading UTF-8 BOM skipped, blank lines skipped. It
    // never fails: a malformed record is read as best it can be.
    static CORE: RefCell<csv_core::Reader> = RefCell::new(csv_core::Reader::new());
}

/// One record's field bytes end to end and where each field ends, reused from record to record.
struct Record {
    out: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
}

impl Default for Record {
    fn default() -> Self {
        Record { out: vec![0; 1024], ends: vec![0; 32], len: 0 }
    }
}

impl Record {
    /// Reads the next record from `input` (advanced past it); false at the end of the text.
    fn read(&mut self, core: &mut csv_core::Reader, input: &mut &[u8]) -> bool {
        use csv_core::ReadRecordResult as R;
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let (res, nin, nout, nend) = core.read_record(input, &mut self.out[out_len..], &mut self.ends[ends_len..]);
            *input = &input[nin..];
            out_len += nout;
            ends_len += nend;
            match res {
                // An empty input tells the parser the text has ended: the next call closes
                // the last record.
                R::InputEmpty => {}
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => {
                    self.len = ends_len;
                    return true;
                }
                R::End => return false,
            }
        }
    }

    fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let ends = &self.ends[..self.len];
        (0..ends.len()).map(move |i| &self.out[if i == 0 { 0 } else { ends[i - 1] }..ends[i]])
    }
}

/// Field text trimmed, with a quoted line break written as `\n` whatever the file used, the
/// way the other readers write a break inside a cell.
fn field_text(field: &[u8]) -> CompactString {
    // Made straight into the cell's text: a `String` first was an allocation per field.
    let text = String::from_utf8_lossy(field);
    let text = text.trim();
    if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n").into() } else { text.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_then_table_with_blank_merges() {
        let text = "东莞市财政项目支出绩效目标批复表\r\n(2020年度)\r\n预算单位：中共东莞市直属机关工作委员会\r\n\
项目名称,政府购买人员经费,中期市财政预算（万元）,88.20,本年度申请市财政预算资金（万元）,29.40,\r\n\
总体目标,中期滚动目标（2020年--2022年）,,,年度目标,,\r\n\
,,质量指标,质量,大学本科、硕士研究生,质量指标,质量,大学本科、硕士研究生\r\n";
        let g = read(text);
        let t = g.texts();
        assert_eq!(t[0], ["东莞市财政项目支出绩效目标批复表"]);
        assert_eq!(t[1], ["(2020年度)"]);
        assert_eq!(t[2], ["预算单位：中共东莞市直属机关工作委员会"]);
        assert_eq!(t[3].len(), 7);
        assert_eq!(t[3][3], "88.20");
        assert_eq!(t[4], ["总体目标", "中期滚动目标（2020年--2022年）", "", "", "年度目标", "", ""]);
        assert_eq!(t[5][0], "");
        assert_eq!(t[5][2], "质量指标");
        assert!(g.rows.iter().flatten().all(|c| !c.merged));
    }

    #[test]
    fn quoted_comma_quote_and_newline() {
        let text = "项目名称,\"拆违经费,含审价费\",阶段\r\n年度总体目标,\"1.完成年度拆违任务。\r\n2.新增违建\"\"零增长\"\"。\",\r\n";
        let t = read(text).texts();
        assert_eq!(t[0], ["项目名称", "拆违经费,含审价费", "阶段"]);
        assert_eq!(t[1], ["年度总体目标", "1.完成年度拆违任务。\n2.新增违建\"零增长\"。", ""]);
    }

    #[test]
    fn title_with_trailing_commas_is_one_cell_and_blank_records_drop() {
        let text = "项目支出绩效目标表,,,,\n,,,,\n\n(2022年度),,,\n绩效指标,一级指标,二级指标\n";
        let t = read(text).texts();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0], ["项目支出绩效目标表"]);
        assert_eq!(t[1], ["(2022年度)"]);
        assert_eq!(t[2], ["绩效指标", "一级指标", "二级指标"]);
    }

    #[test]
    fn cr_cr_lf_does_not_double_rows() {
        // 汕头 exports end lines with CR CR LF.
        let text = "汕头市财政项目支出绩效目标批复表\r\r\n(2022年度)\r\r\n项目名称,农村人居环境整治服务采购,中期市财政预算（万元）,1270.98\r\r\n";
        let t = read(text).texts();
        assert_eq!(t.len(), 3);
        assert_eq!(t[2][3], "1270.98");
    }

    #[test]
    fn unterminated_quote_and_bom_do_not_panic() {
        let t = read("\u{feff}标题\n项目名称,\"未闭合的引号,后面\n还有内容").texts();
        assert_eq!(t[0], ["标题"]);
        assert_eq!(t[1][0], "项目名称");
        assert!(t[1][1].starts_with("未闭合"));
    }
}
