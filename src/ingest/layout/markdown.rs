//! Stage 3, layout: markdown pipe tables and the pipe text that web pages render to.
//!
//! Two dialects share the `|` and are told apart per block of consecutive non-blank lines:
//!
//! * **Markdown tables** (`| a | b |`, a `|---|---|` separator row): every physical line is
//!   one complete row. A block is read this way when it has a separator row, or when most of
//!   its piped lines start with `|`. Separator rows are dropped; the outer pipes are not cells.
//!
//! * **Pipe text**, as a web page rendered to text leaves a table (the 东莞 2019 批复表 in
//!   `realworld/dongguan_2019_jiaotongju_pipes.txt`): each cell is *terminated* by `|`
//!   (`a | b | c |`), empty cells are bare pipes padding the row (`| |||||||||`), and a row is
//!   broken over several physical lines wherever the page wrapped it (`项目 名称 |` then
//!   `镇际联网路升级改造工程一期 | … | 919.00 | ||||`). Every row of that page holds the same
//!   number of pipes, ten, one per cell, so the rule is:
//!
//!   1. the block's row width `n` is the pipe count that explains the most lines: tried in
//!      turn, the candidates (counts seen on one line or two adjacent lines) are scored by
//!      how many lines rules 2–3 pack into rows of exactly `n` pipes (ties go to the
//!      smaller, since pairs of complete rows fit twice the width just as well);
//!   2. a row starts at a piped line and takes in the following lines while its pipe count
//!      stays at or below `n` (greedy packing; a line that would overflow starts a new row);
//!   3. a line without pipes joins the row only if a piped line within the next few lines
//!      still fits, so prose after a truncated row is not swallowed;
//!   4. the joint is a space when the row so far ends with `|` (the break fell between
//!      cells) and `\n` when it does not (the break fell inside a cell, like a `<br>`).
//!
//!   A row whose only text is its first cell (`( 2019 年度) | |||||||||`) is a title line
//!   padded by the renderer and becomes a one-cell row.
//!
//! Lines without pipes are one-cell rows, kept as written (trimmed): `# ` headings stay for
//! the form reader. `\|` is a literal pipe inside a cell, in both dialects.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ops::Range;

use super::sniff::{lines, unescaped_pipes};
use super::{Cell, Grid, row_of};

/// Lines a wrapped cell may run before a piped line must close it.
const MAX_WRAP_LOOKAHEAD: usize = 8;
/// Row widths tried per block (each try is one pass over the block).
const MAX_WIDTH_CANDIDATES: usize = 8;

/// Reads markdown or pipe text into rows of cells; text outside tables becomes one-cell rows.
pub fn read(text: &str) -> Grid {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let all: Vec<&str> = lines(text).collect();
    let mut grid = Grid::default();
    let mut start = 0;
    while start < all.len() {
        if crate::ingest::deadline::tick() {
            break;
        }
        if all[start].trim().is_empty() {
            start += 1;
            continue;
        }
        let end = all[start..].iter().position(|l| l.trim().is_empty()).map_or(all.len(), |p| start + p);
        read_block(&all[start..end], &mut grid);
        start = end;
    }
    grid
}

fn read_block(block: &[&str], grid: &mut Grid) {
    let pipes: Vec<usize> = block.iter().map(|l| unescaped_pipes(l)).collect();
    let piped = pipes.iter().filter(|&&p| p > 0).count();
    let leading = block.iter().zip(&pipes).filter(|(l, p)| **p > 0 && l.trim_start().starts_with('|')).count();
    let has_separator = block.iter().any(|l| is_separator(l));
    if has_separator || leading * 2 > piped {
        read_markdown_block(block, &pipes, grid);
    } else {
        read_pipe_text_block(block, &pipes, grid);
    }
}

fn read_markdown_block(block: &[&str], pipes: &[usize], grid: &mut Grid) {
    for (line, &p) in block.iter().zip(pipes) {
        let line = line.trim();
        if p == 0 {
            grid.push_line(line);
        } else if !is_separator(line) {
            // The outer pipes are no cells: nothing before the first is split off.
            let mut cells = split_cells(line.strip_prefix('|').unwrap_or(line));
            if cells.len() > 1 && cells.last().is_some_and(|c| c.text.is_empty()) && line.ends_with('|') {
                cells.pop();
            }
            push_row(grid, cells, false);
        }
    }
}

fn read_pipe_text_block(block: &[&str], pipes: &[usize], grid: &mut Grid) {
    let width = row_width(pipes);
    for rows in pack(pipes, width) {
        let first = rows.start;
        if pipes[first] == 0 {
            grid.push_line(block[first].trim());
            continue;
        }
        let mut row = String::new();
        for line in &block[rows] {
            if !row.is_empty() {
                row.push(if row.ends_with('|') { ' ' } else { '\n' });
            }
            row.push_str(line.trim());
        }
        let mut cells = split_cells(&row);
        if cells.len() > 1 && cells.last().is_some_and(|c| c.text.is_empty()) {
            cells.pop();
        }
        push_row(grid, cells, true);
    }
}

/// Groups the lines of a pipe-text block into rows of at most `width` pipes (rules 2 and 3
/// of the module notes). A pipeless line outside a row is a group of its own.
fn pack(pipes: &[usize], width: usize) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut i = 0;
    while i < pipes.len() {
        if pipes[i] == 0 {
            groups.push(i..i + 1);
            i += 1;
            continue;
        }
        let mut count = pipes[i];
        let mut j = i + 1;
        while count < width && j < pipes.len() {
            let fits = if pipes[j] > 0 {
                count + pipes[j] <= width
            } else {
                // A pipeless line is cell text only if the row goes on after it.
                (j + 1..pipes.len().min(j + 1 + MAX_WRAP_LOOKAHEAD))
                    .find(|&k| pipes[k] > 0)
                    .is_some_and(|k| count + pipes[k] <= width)
            };
            if !fits {
                break;
            }
            count += pipes[j];
            j += 1;
        }
        groups.push(i..j);
        i = j;
    }
    groups
}

/// The row width (pipes per row) that explains the most lines: each candidate (a pipe count
/// seen on a line, or on two adjacent lines together, most frequent first) is tried with
/// [`pack`] and scored by the lines that end up in rows of exactly that width. Counting lines
/// rather than rows matters when nearly every row is wrapped: `项目 名称 |` + `… | ||||` is
/// one 10-pipe row, not a 1-pipe row and a 9-pipe row. Ties go to the narrower width: twice
/// the true width explains the same lines whenever complete rows pair up.
fn row_width(pipes: &[usize]) -> usize {
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, &p) in pipes.iter().enumerate() {
        if p > 0 {
            *seen.entry(p).or_default() += 1;
            if let Some(&q) = pipes.get(i + 1)
                && q > 0
            {
                *seen.entry(p + q).or_default() += 1;
            }
        }
    }
    let mut candidates: Vec<(usize, usize)> = seen.into_iter().collect();
    candidates.sort_by_key(|&(width, n)| Reverse((n, width)));
    candidates.truncate(MAX_WIDTH_CANDIDATES);
    candidates
        .into_iter()
        .map(|(width, _)| {
            let explained: usize = pack(pipes, width)
                .into_iter()
                .filter(|g| pipes[g.clone()].iter().sum::<usize>() == width)
                .map(|g| g.len())
                .sum();
            (explained, Reverse(width))
        })
        .max()
        .map_or(0, |(_, Reverse(width))| width)
}

fn push_row(grid: &mut Grid, mut cells: Vec<Cell>, collapse_padded_title: bool) {
    let Some(last_filled) = cells.iter().rposition(|c| !c.text.is_empty()) else {
        return;
    };
    if collapse_padded_title && last_filled == 0 {
        cells.truncate(1);
    }
    grid.rows.push(row_of(cells));
}

/// Splits at unescaped pipes, unescaping `\|`; every cell is trimmed.
///
/// Only pipes and backslashes matter, so the search jumps from one to the next. Each cell is
/// made once, trimmed, straight from the line (a short one inline, with no allocation); only a
/// cell holding an escaped pipe is rewritten first. The pipes are counted first so the row is
/// allocated once.
fn split_cells(line: &str) -> Vec<Cell> {
    let b = line.as_bytes();
    let mut cells = Vec::with_capacity(1 + memchr::memchr_iter(b'|', b).count());
    let (mut start, mut escaped) = (0, false);
    // The pipe after a backslash is text: the search skips it.
    let mut skip_to = 0;
    for i in memchr::memchr2_iter(b'|', b'\\', b) {
        if i < skip_to {
            continue;
        }
        if b[i] == b'|' {
            cells.push(cell(&line[start..i], escaped));
            (start, escaped) = (i + 1, false);
        } else if b.get(i + 1) == Some(&b'|') {
            escaped = true;
            skip_to = i + 2;
        }
    }
    cells.push(cell(&line[start..], escaped));
    cells
}

fn cell(text: &str, escaped: bool) -> Cell {
    if escaped { Cell::new(text.replace("\\|", "|").trim()) } else { Cell::new(text.trim()) }
}

/// `|---|:---:|` and the like: only pipes, dashes, colons and spaces, with a pipe and a dash.
fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.contains('|') && t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split_cells(line).into_iter().map(|c| c.text.into()).collect()
    }

    #[test]
    fn escaped_pipes_stay_in_their_cell() {
        assert_eq!(texts(r" a \| b | c |"), ["a | b", "c", ""]);
        assert_eq!(texts(r"x\\|y"), [r"x\|y"]);
        assert_eq!(texts(r"\"), [r"\"]);
        assert_eq!(texts("|"), ["", ""]);
        assert_eq!(texts(" 项目名称 | 拆违经费 "), ["项目名称", "拆违经费"]);
    }

    /// What [`split_cells`] replaced: each cell copied into a `String` of its own, which the
    /// row then converted; a leading pipe's empty cell split off and removed.
    fn split_cells_before(line: &str) -> Vec<String> {
        let b = line.as_bytes();
        let mut cells = Vec::new();
        let (mut start, mut escaped) = (0, false);
        let mut i = 0;
        let text = |cell: &str, escaped: bool| {
            if escaped { cell.replace("\\|", "|").trim().to_string() } else { cell.trim().to_string() }
        };
        while i < b.len() {
            match b[i] {
                b'\\' if b.get(i + 1) == Some(&b'|') => {
                    escaped = true;
                    i += 2;
                }
                b'|' => {
                    cells.push(text(&line[start..i], escaped));
                    (start, escaped) = (i + 1, false);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        cells.push(text(&line[start..], escaped));
        cells
    }

    /// The row a markdown line makes, the old way and the new.
    fn markdown_cells(line: &str) -> (Vec<String>, Vec<String>) {
        let mut before = split_cells_before(line);
        if line.starts_with('|') {
            before.remove(0);
        }
        (before, texts(line.strip_prefix('|').unwrap_or(line)))
    }

    #[test]
    fn cells_made_straight_from_the_line_as_through_strings_on_every_sample_and_random_lines() {
        let mut seen = 0;
        for (path, text) in crate::ingest::samples::texts() {
            for line in lines(&text).filter(|l| l.contains('|')) {
                assert_eq!(texts(line), split_cells_before(line), "{}: {line:?}", path.display());
                let (before, now) = markdown_cells(line.trim());
                assert_eq!(now, before, "{}: {line:?}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 100, "only {seen} piped lines in the samples");
        let alphabet = ["|", "|", "\\", " ", "\t", "a", "项目", "---", ":", "\u{3000}"];
        let mut rng = fastrand::Rng::with_seed(0x7AB1E);
        for _ in 0..20_000 {
            let line: String = (0..rng.usize(0..16)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            assert_eq!(texts(&line), split_cells_before(&line), "{line:?}");
            let (before, now) = markdown_cells(&line);
            assert_eq!(now, before, "{line:?}");
        }
    }

    #[test]
    fn markdown_table_with_separator_and_titles() {
        let md = "# 中山市财政项目支出绩效目标批复表\n\n（ 2020 年度）\n\n预算单位：中山市财政局\n\n\
| 项目名称 | 就业创业补贴经费 | 中期市财政预算（万元） | 55860.33 |  |\n\
|---|---|---|---|---|\n\
| 总体目标 | 中期滚动目标（2020年--2022年） |  |  | 年度目标 |\n\
|  |  | 质量指标 | 合格率 | 验收合格率≥90% |\n";
        let t = read(md).texts();
        assert_eq!(t[0], ["# 中山市财政项目支出绩效目标批复表"]);
        assert_eq!(t[1], ["（ 2020 年度）"]);
        assert_eq!(t[2], ["预算单位：中山市财政局"]);
        assert_eq!(t[3], ["项目名称", "就业创业补贴经费", "中期市财政预算（万元）", "55860.33", ""]);
        assert_eq!(t[4][0], "总体目标");
        assert_eq!(t[5], ["", "", "质量指标", "合格率", "验收合格率≥90%"]);
        assert_eq!(t.len(), 6);
    }

    #[test]
    fn escaped_pipe_stays_text() {
        let md = "| 指标 | 值 |\n|:--|--:|\n| 合格率\\|达标率 | ≥90% |\n";
        let t = read(md).texts();
        assert_eq!(t, [vec!["指标", "值"], vec!["合格率|达标率", "≥90%"]]);
    }

    /// The first rows of `realworld/dongguan_2019_jiaotongju_pipes.txt`, as published.
    const DONGGUAN: &str = "当前位置:
市交通运输局 > 其他 > 通知公告
- 索 引 号:007329896/2019-11414 分 类:
-
东莞市财政项目支出绩效目标批复表(镇际联网路升级改造工程一期) - 文号:
东莞市财政项目支出绩效目标批复表 | |||||||||
( 2019 年度) | |||||||||
预算单位:东莞市交通运输局 | |||||||||
项目 名称 |
镇际联网路升级改造工程一期 | 中期市财政预算(万元) | 284500.00 | 本年度申请市财政预算资金(万元) | 919.00 | ||||
总体目标 | 中期滚动目标(2019年--2021年) | 年度目标 | |||||||
新建或改造道路,共29个项目,规划里程169公里。 | 督促勘察设计单位、咨询单位完成勘察设计费、审查咨询费结算532万元。 | ||||||||
绩效指标 | 一级 指标 |
二级 指标 |
三级 指标 |
指标值(或计划水平) | 二级 指标 |
三级 指标 |
计划指标值(或计划水平) | ||
预期产出指标 | 数量指标(或建筑规模指标) | 镇街补助款完成结算项目数 | 3 | 数量指标(或建筑规模指标) | 镇街补助款完成结算项目数 | 3 | |||
质量指标 | 补助款结算误差率 | ±3%以内 | 质量指标 | 补助款结算误差率 | ±3%以内 | ||||
可持续影响指标 | 实现建设总目标控制程度";

    #[test]
    fn dongguan_pipe_text_rows_rejoin() {
        let t = read(DONGGUAN).texts();
        assert_eq!(t[0], ["当前位置:"]);
        assert_eq!(t[3], ["-"]);
        assert_eq!(t[5], ["东莞市财政项目支出绩效目标批复表"]);
        assert_eq!(t[6], ["( 2019 年度)"]);
        assert_eq!(t[7], ["预算单位:东莞市交通运输局"]);
        let name_row = &t[8];
        assert_eq!(name_row.len(), 10);
        assert_eq!(
            name_row[..6],
            [
                "项目 名称",
                "镇际联网路升级改造工程一期",
                "中期市财政预算(万元)",
                "284500.00",
                "本年度申请市财政预算资金(万元)",
                "919.00"
            ]
        );
        assert_eq!(t[9][..3], ["总体目标", "中期滚动目标(2019年--2021年)", "年度目标"]);
        assert_eq!(t[10][0], "新建或改造道路,共29个项目,规划里程169公里。");
        assert_eq!(
            t[11][..8],
            [
                "绩效指标",
                "一级 指标",
                "二级 指标",
                "三级 指标",
                "指标值(或计划水平)",
                "二级 指标",
                "三级 指标",
                "计划指标值(或计划水平)"
            ]
        );
        assert_eq!(t[11].len(), 10);
        assert_eq!(t[12][..4], ["预期产出指标", "数量指标(或建筑规模指标)", "镇街补助款完成结算项目数", "3"]);
        assert_eq!(t[13][0], "质量指标");
        // The copy is cut off inside the last row.
        assert_eq!(t[14], ["可持续影响指标", "实现建设总目标控制程度"]);
        assert_eq!(t.len(), 15);
    }

    #[test]
    fn pipe_text_cell_wrapped_inside_its_text() {
        let text =
            "项目名称 | 拆违经费 | |\n年度目标 | 1.完成市、区相关部门下达的年度\n拆违任务。 | |\n满意度 | ≥90% | |\n";
        let t = read(text).texts();
        assert_eq!(t[0], ["项目名称", "拆违经费", ""]);
        assert_eq!(t[1], ["年度目标", "1.完成市、区相关部门下达的年度\n拆违任务。", ""]);
        assert_eq!(t[2], ["满意度", "≥90%", ""]);
    }

    #[test]
    fn prose_after_truncated_row_is_not_swallowed() {
        let text = "a | b | c |\nd | e | f |\ng | h\n附件：无\n说明文字\n";
        let t = read(text).texts();
        assert_eq!(t[2], ["g", "h"]);
        assert_eq!(t[3], ["附件：无"]);
        assert_eq!(t[4], ["说明文字"]);
    }

    #[test]
    fn every_row_wrapped_still_finds_the_width() {
        let text = "项目 名称 |\n镇际联网路 | 中期 | 284500.00 | ||\n项目 类别 |\n道路 | 特定 | 1.00 | ||\n";
        let t = read(text).texts();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0], ["项目 名称", "镇际联网路", "中期", "284500.00", "", ""]);
        assert_eq!(t[1][0], "项目 类别");
    }

    #[test]
    fn gfm_rows_without_outer_pipes() {
        let text = "项目名称 | 拆违经费\n--- | ---\n项目类别 | 特定目标类\n";
        let t = read(text).texts();
        assert_eq!(t, [vec!["项目名称", "拆违经费"], vec!["项目类别", "特定目标类"]]);
    }
}
