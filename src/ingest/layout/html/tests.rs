//! Tests of the HTML reader.

use super::*;

const PAGE: &str = r#"<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>绩效目标公开</title>
<style>td { border: 1px solid #000 }</style><script>var x = "<td>不是单元格</td>";</script></head>
<body>
<h2 style="text-align:center">中山市财政项目支出绩效目标批复表</h2>
<p align="center">（ 2022 年度）</p><p>预算单位：中山市教育局</p>
<table border="1" cellspacing="0">
<tr><td style="border:1px solid #000">项目名称</td><td>2022年校园安全管理专项资金</td><td>中期市财政预算（万元）</td><td>71.58&nbsp;</td></tr>
<tr><td rowspan="2">总体目标&nbsp;</td><td colspan="2">中期滚动目标（2022年--2024年）</td><td>年度目标</td></tr>
<tr><td colspan="2"><p>2022年至2024年持续推进校园安全管理。</p><p>确保规范管理。</p></td><td>做好校园安全管理相关工作<br>保障各项工作顺利开展。</td></tr>
<tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>指标值</th></tr>
</table>
<div class="footer">版权所有 &copy; 2021</div></body></html>"#;

#[test]
fn a_page_nested_past_the_cap_is_too_deep_and_one_within_it_is_read() {
    let page = |depth: usize| {
        format!("{}<table><tr><td>项目名称</td></tr></table>{}", "<div>".repeat(depth), "</div>".repeat(depth))
    };
    assert_eq!(read_capped(&page(600), 512), Err(TooDeep(512)));
    assert_eq!(read_capped(&page(400), 512).unwrap().texts(), [["项目名称"]]);
    assert!(read(&page(600)).rows.is_empty());
}

#[test]
fn page_titles_spans_entities_and_breaks() {
    let g = read(PAGE);
    let t = g.texts();
    assert_eq!(t[0], ["中山市财政项目支出绩效目标批复表"]);
    assert_eq!(t[1], ["（ 2022 年度）"]);
    assert_eq!(t[2], ["预算单位：中山市教育局"]);
    assert_eq!(t[3], ["项目名称", "2022年校园安全管理专项资金", "中期市财政预算（万元）", "71.58"]);
    // Row 2: rowspan origin, colspan origin + covered, then the last cell.
    let r = &g.rows[4];
    assert_eq!((r[0].text.as_str(), r[0].row_span, r[0].col_span), ("总体目标", 2, 1));
    assert_eq!((r[1].text.as_str(), r[1].col_span), ("中期滚动目标（2022年--2024年）", 2));
    assert!(r[2].merged && r[2].text.is_empty());
    assert_eq!(r[3].text, "年度目标");
    // Row 3: column 0 covered by the rowspan, so the first cell lands in column 1.
    let r = &g.rows[5];
    assert!(r[0].merged);
    assert_eq!(r[1].text, "2022年至2024年持续推进校园安全管理。\n确保规范管理。");
    assert!(r[2].merged);
    assert_eq!(r[3].text, "做好校园安全管理相关工作\n保障各项工作顺利开展。");
    assert_eq!(t[6], ["一级指标", "二级指标", "三级指标", "指标值"]);
    assert_eq!(t[7], ["版权所有 © 2021"]);
    assert_eq!(t.len(), 8);
    // Script text and the <title> never appear.
    assert!(!t.iter().flatten().any(|c| c.contains("不是单元格") || c.contains("绩效目标公开")));
}

#[test]
fn rowspan_past_the_end_is_clamped_and_ragged_rows_stay_short() {
    let g = read(
        "<table><tr><td rowspan=13>绩效指标</td><td>一级指标</td><td>二级指标</td></tr><tr><td>产出指标</td></tr></table>",
    );
    assert_eq!(g.rows.len(), 2);
    assert_eq!(g.rows[0][0].row_span, 2);
    assert_eq!(g.rows[1].len(), 2);
    assert!(g.rows[1][0].merged);
    assert_eq!(g.rows[1][1].text, "产出指标");
    let g = read("<table><tr><td>项目名称</td></tr><tr></tr><tr><td>拆违经费</td></tr></table>");
    assert_eq!(g.texts(), [vec!["项目名称"], vec!["拆违经费"]]);
}

#[test]
fn nested_table_rows_follow_the_outer_row_after_spans_end() {
    let html = "<table>\
<tr><td rowspan=2>效益指标</td><td>社会效益<table><tr><td>指标A</td><td>提高</td></tr><tr><td>指标B</td><td>稳定</td></tr></table></td></tr>\
<tr><td>可持续影响</td></tr>\
<tr><td>满意度指标</td><td>满意</td></tr></table>";
    let g = read(html);
    let t = g.texts();
    assert_eq!(t[0], ["效益指标", "社会效益"]);
    // The rowspan of 效益指标 crosses into the next row, so the inner rows wait for it.
    assert!(g.rows[1][0].merged);
    assert_eq!(t[1][1], "可持续影响");
    assert_eq!(t[2], ["指标A", "提高"]);
    assert_eq!(t[3], ["指标B", "稳定"]);
    assert_eq!(t[4], ["满意度指标", "满意"]);
}

#[test]
fn layout_table_is_unwrapped_in_order() {
    let html = "<body><table width=100%><tr><td><h2>项目支出绩效目标表</h2>\
<table border=1><tr><td>项目名称</td><td>森林防火经费</td></tr></table><p>注：单位万元</p></td></tr></table></body>";
    let t = read(html).texts();
    assert_eq!(t, [vec!["项目支出绩效目标表"], vec!["项目名称", "森林防火经费"], vec!["注：单位万元"]]);
}

#[test]
fn caption_thead_tbody_and_text_between_tables() {
    let html = "<p>第一段<br>第二行</p><table><caption>绩效指标表</caption><thead><tr><th>一级指标</th><th colspan=0>二级指标</th></tr></thead>\
<tbody><tr><td>产出指标</td><td>数量指标</td></tr></tbody></table>尾注 <b>加粗</b> 文本";
    let t = read(html).texts();
    assert_eq!(t[0], ["第一段"]);
    assert_eq!(t[1], ["第二行"]);
    assert_eq!(t[2], ["绩效指标表"]);
    assert_eq!(t[3], ["一级指标", "二级指标"]);
    assert_eq!(t[4], ["产出指标", "数量指标"]);
    assert_eq!(t[5], ["尾注 加粗 文本"]);
}

#[test]
fn markdown_around_an_html_table_keeps_its_lines() {
    let doc = "# 项目支出绩效目标表\n\n（ 2021 年度）\n\n单位名称：中山市商务局\n<table><tr><td>项目名称</td><td>对口帮扶\n协作经费</td></tr></table>\n";
    let t = read(doc).texts();
    assert_eq!(t[0], ["# 项目支出绩效目标表"]);
    assert_eq!(t[1], ["（ 2021 年度）"]);
    assert_eq!(t[2], ["单位名称：中山市商务局"]);
    assert_eq!(t[3], ["项目名称", "对口帮扶 协作经费"]);
}

#[test]
fn huge_spans_and_deep_nesting_do_not_blow_up() {
    let mut html = String::from("<table>");
    for _ in 0..300 {
        html.push_str("<tr><td rowspan=65534 colspan=1000>x</td></tr>");
    }
    html.push_str("</table>");
    let g = read(&html);
    assert_eq!(g.rows.len(), 300);
    // The walk has no recursion to overflow: uncapped, 5,000 levels read.
    let deep = "<div>".repeat(5_000) + "深层文本" + &"</div>".repeat(5_000);
    let g = read_capped(&deep, usize::MAX).unwrap();
    assert_eq!(g.texts(), [vec!["深层文本"]]);
}

/// Every text under `sample_data/` and the HTML the tests write, decoded as the pipeline does.
fn sample_texts() -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = ["sample_data", "tests"]
        .into_iter()
        .flat_map(crate::ingest::samples::texts_under)
        .map(|(path, text)| (path.display().to_string(), text))
        .collect();
    texts.push(("PAGE".to_string(), PAGE.to_string()));
    texts
}

/// Both readers on one text: whenever the fast path reads it, its grid is html5ever's.
/// Returns whether the fast path read it.
fn same_as_html5ever(name: &str, text: &str) -> bool {
    let max = crate::config::DEFAULT_MAX_HTML_DEPTH;
    let Some(fast) = fast_path(text, max) else { return false };
    assert_eq!(Some(fast), tree_path(text, max).ok(), "{name}: the fast path differs from html5ever on {text:?}");
    true
}

#[test]
fn the_fast_path_reads_every_sample_as_html5ever_does() {
    let (mut html, mut fast_html, mut fast_other) = (0, 0, 0);
    for (name, text) in sample_texts() {
        let is_html = super::super::sniff::sniff(&text) == super::super::sniff::LayoutKind::Html;
        let read = same_as_html5ever(&name, &text);
        html += usize::from(is_html);
        fast_html += usize::from(is_html && read);
        fast_other += usize::from(!is_html && read);
    }
    eprintln!("fast path: {fast_html} of {html} HTML samples, {fast_other} other texts");
    // The samples' pages are well-formed but for a few; all of those must take the fast path.
    assert!(html >= 8 && fast_html * 10 >= html * 8, "{fast_html} of {html}");
}

/// Markup dropped into pages by the mutation test: broken, implied and edge-case pieces.
const SNIPPETS: &[&str] = &[
    "<p>",
    "</p>",
    "<td>",
    "</td>",
    "<tr>",
    "</tr>",
    "<th rowspan=2>",
    "<td colspan=\"3\">",
    "<table>",
    "</table>",
    "<tbody>",
    "</tbody>",
    "<thead>",
    "</thead>",
    "<caption>表</caption>",
    "<colgroup><col>",
    "<col>",
    "</colgroup>",
    "<b>",
    "</b>",
    "<a href=x>",
    "</a>",
    "<font>",
    "</font>",
    "<span>",
    "</span>",
    "<div>",
    "</div>",
    "<li>",
    "</li>",
    "<ul>",
    "</ul>",
    "<h2>",
    "</h2>",
    "<h3>",
    "<br>",
    "<br/>",
    "</br>",
    "<hr>",
    "<img src=a>",
    "<form>",
    "</form>",
    "<o:p></o:p>",
    "<script>var a = '<td>';</script>",
    "<script><!--</script>",
    "<style>p{}</style>",
    "<noscript>x</noscript>",
    "<title>t</title>",
    "<!-- 注 -->",
    "<!--->",
    "<!-->",
    "<!---->",
    "<!DOCTYPE html>",
    "<html>",
    "</html>",
    "<head>",
    "</head>",
    "<body>",
    "</body>",
    "<meta charset=utf-8>",
    "<select>",
    "<svg>",
    "<pre>",
    "<textarea>",
    "<template>",
    "<![CDATA[x]]>",
    "<?xml?>",
    "</>",
    "< x",
    "a<b",
    "&amp;",
    "&amp",
    "&nbsp;",
    "&nbsp",
    "&lt;td&gt;",
    "&#38;",
    "&#x80;",
    "&#0;",
    "&#xD800;",
    "&#13;",
    "&#99999999;",
    "&notin;",
    "&notit;",
    "&copy2021",
    "&;",
    "&#;",
    "&#x;",
    "R&D",
    "\r\n",
    "\r",
    "\n\n",
    "\t",
    " ",
    "\u{a0}",
    "\u{feff}",
    "文本",
    "x",
    "<TD ROWSPAN=2>",
    "<Td>",
    "<td rowspan=\"2\" rowspan=\"3\">",
    "<td rowspan=&#50;>",
    "<td colspan=2px>",
    "<td/>",
    "<td\n>",
    "</td foo>",
    "<p/>",
    "<nobr>",
    "<button>",
    "<dd>",
    "<center>",
];

/// A page changed at random: cut short, a tag dropped or doubled, a snippet dropped in.
fn mutate(page: &str, rng: &mut fastrand::Rng) -> String {
    let at = |rng: &mut fastrand::Rng, s: &str| {
        let mut i = rng.usize(..=s.len());
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let mut s = page.to_string();
    for _ in 0..rng.usize(1..=4) {
        match rng.u8(..4) {
            0 => s.truncate(at(rng, &s)),
            1 | 2 => {
                let tags: Vec<(usize, usize)> =
                    s.match_indices('<').filter_map(|(i, _)| Some((i, i + s[i..].find('>')? + 1))).collect();
                if let Some(&(a, b)) = tags.get(rng.usize(..tags.len().max(1))) {
                    let tag = s[a..b].to_string();
                    if rng.bool() {
                        s.replace_range(a..b, "");
                    } else {
                        s.insert_str(b, &tag);
                    }
                }
            }
            _ => {
                let i = at(rng, &s);
                s.insert_str(i, SNIPPETS[rng.usize(..SNIPPETS.len())]);
            }
        }
    }
    s
}

#[test]
fn mutated_pages_the_fast_path_reads_read_as_html5ever_reads_them() {
    let pages: Vec<(String, String)> = sample_texts()
        .into_iter()
        .filter(|(_, t)| super::super::sniff::sniff(t) == super::super::sniff::LayoutKind::Html)
        .collect();
    let mut rng = fastrand::Rng::with_seed(19);
    let (mut tried, mut read) = (0, 0);
    for _ in 0..5_000 {
        let (name, page) = &pages[rng.usize(..pages.len())];
        let text = mutate(page, &mut rng);
        tried += 1;
        read += usize::from(same_as_html5ever(name, &text));
    }
    // Both sides of the contract are exercised: many mutants read, many given up on.
    eprintln!("fast path read {read} of {tried} mutated pages");
    assert!(read * 5 > tried && read * 5 < tried * 4, "{read} of {tried}");
}

#[test]
fn well_formed_pages_take_the_fast_path() {
    for page in [
        PAGE,
        "<table><tr><td rowspan=2>绩效指标</td><td>一级指标</td></tr><tr><td>产出指标</td></tr></table>",
        "# 标题\n\n（2021年度）\n<table><tr><td>项目名称</td><td>对口帮扶&nbsp;经费</td></tr></table>\n",
        "<ul><li>一<li>二</ul><p>段<p>段<div>块</div><table><caption>表</caption><colgroup><col></colgroup>\
         <thead><tr><th>甲<td>乙</thead><tbody><tr><td><b>丙</b><br>丁</td></tbody></table>\
         <!-- 注 --><script>if (a < b) {}</script>&copy;&amp&#x4e00;&#20108;R&D</body></html>\n",
    ] {
        assert!(same_as_html5ever("well-formed", page), "{page}");
    }
}

#[test]
fn markup_html5ever_repairs_is_left_to_it() {
    for page in [
        "<table>孤立文本<tr><td>甲</td></tr></table>",
        "<table><tr><span>甲</span><td>乙</td></tr></table>",
        "<p>段<table><tr><td>甲</td></tr></table>",
        "<b><p>粗</b>体</p>",
        "<div>甲</span></div>",
        "<td>甲</td>",
        "<select><option>甲</select>",
        "<script><!--<script></script>--></script>",
        "<table><tr><td",
        "<p>甲\0乙</p>",
        "<svg><title>甲</title></svg>",
        "<pre>\n甲</pre>",
        "<!DOCTYPE html><p>甲</p><!DOCTYPE html>",
        "<table><tr><td rowspan=&#50;>甲</td></tr></table>",
    ] {
        assert_eq!(fast_path(page, crate::config::DEFAULT_MAX_HTML_DEPTH), None, "{page}");
    }
    // Past the depth cap html5ever decides, and refuses.
    let deep = format!("{}甲{}", "<div>".repeat(600), "</div>".repeat(600));
    assert_eq!(fast_path(&deep, 512), None);
    assert_eq!(read_capped(&deep, 512), Err(TooDeep(512)));
}

/// The lists of tag names the tree rules and the walk compared names against, as text,
/// before names were looked up once as a [`Name`]: each category must answer as its list.
mod string_lists {
    pub const IS_FORMATTING: &[&str] =
        &["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"];
    pub const IS_HEADING: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];
    pub const IS_IMPLIED_END: &[&str] = &["dd", "dt", "li", "option", "optgroup", "p", "rb", "rp", "rt", "rtc"];
    pub const IS_SCOPE_BOUNDARY: &[&str] =
        &["applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"];
    pub const IS_SPECIAL: &[&str] = &[
        "address",
        "applet",
        "area",
        "article",
        "aside",
        "base",
        "basefont",
        "bgsound",
        "blockquote",
        "body",
        "br",
        "button",
        "caption",
        "center",
        "col",
        "colgroup",
        "dd",
        "details",
        "dir",
        "div",
        "dl",
        "dt",
        "embed",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frame",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "hr",
        "html",
        "iframe",
        "img",
        "input",
        "isindex",
        "li",
        "link",
        "listing",
        "main",
        "marquee",
        "menu",
        "meta",
        "nav",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "ol",
        "p",
        "param",
        "plaintext",
        "pre",
        "script",
        "section",
        "select",
        "source",
        "style",
        "summary",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "track",
        "ul",
        "wbr",
        "xmp",
    ];
    pub const CLOSES_P: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "header",
        "hgroup",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "search",
        "section",
        "summary",
        "ul",
    ];
    pub const IS_BLOCK_END: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "button",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "header",
        "hgroup",
        "listing",
        "main",
        "menu",
        "nav",
        "ol",
        "pre",
        "search",
        "section",
        "summary",
        "ul",
    ];
    pub const IS_VOID_IN_BODY: &[&str] =
        &["area", "br", "embed", "img", "keygen", "wbr", "input", "param", "source", "track"];
    pub const GIVES_UP_IN_BODY: &[&str] = &[
        "html",
        "body",
        "head",
        "frameset",
        "frame",
        "template",
        "title",
        "noframes",
        "plaintext",
        "button",
        "pre",
        "listing",
        "textarea",
        "xmp",
        "iframe",
        "noembed",
        "select",
        "optgroup",
        "option",
        "rb",
        "rtc",
        "rp",
        "rt",
        "math",
        "svg",
        "image",
        "applet",
        "marquee",
        "object",
        "dd",
        "dt",
        "isindex",
        "caption",
        "col",
        "colgroup",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
    ];
    pub const IS_TABLE_PART: &[&str] = &["caption", "col", "colgroup", "tbody", "td", "tfoot", "th", "thead", "tr"];
    pub const IS_SKIPPED: &[&str] =
        &["head", "script", "style", "noscript", "template", "select", "svg", "math", "iframe", "object"];
    pub const IS_BLOCK: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ];
    /// Lists the rules wrote inline.
    pub const TABLE_SCOPE_BOUNDARY: &[&str] = &["html", "table", "template"];
    pub const TABLE_SECTION: &[&str] = &["tbody", "thead", "tfoot"];
}

/// Names to ask about: every name on a list, near misses of them, and random ones.
fn names_to_ask(lists: &[&[&str]], rng: &mut fastrand::Rng) -> Vec<String> {
    let mut names: Vec<String> = lists.iter().flat_map(|l| l.iter()).map(|n| n.to_string()).collect();
    for n in names.clone() {
        names.push(format!("{n}x"));
        names.push(n[..n.len() - 1].to_string());
        names.push(n.to_ascii_uppercase());
    }
    for _ in 0..20_000 {
        let len = rng.usize(1..=10);
        names.push(
            (0..len)
                .map(|_| rng.choice(b"abcdefghilmnoprstuvwxy123456-".iter()).map_or('a', |&c| char::from(c)))
                .collect(),
        );
    }
    names.extend(["", "h7", "h0", "tdd", "t", "x-table", "font1", "span"].map(String::from));
    names
}

#[test]
fn tag_name_categories_answer_as_the_string_lists_did() {
    use string_lists::*;
    /// A category's name, its list as text, and its answer as a [`Name`].
    type Category = (&'static str, &'static [&'static str], fn(Name) -> bool);
    let categories: [Category; 14] = [
        ("formatting", IS_FORMATTING, Name::is_formatting),
        ("heading", IS_HEADING, Name::is_heading),
        ("implied end", IS_IMPLIED_END, Name::is_implied_end),
        ("scope boundary", IS_SCOPE_BOUNDARY, Name::is_scope_boundary),
        ("table scope boundary", TABLE_SCOPE_BOUNDARY, Name::is_table_scope_boundary),
        ("special", IS_SPECIAL, Name::is_special),
        ("closes p", CLOSES_P, Name::closes_p),
        ("block end", IS_BLOCK_END, Name::is_block_end),
        ("void in body", IS_VOID_IN_BODY, Name::is_void_in_body),
        ("gives up in body", GIVES_UP_IN_BODY, Name::gives_up_in_body),
        ("table part", IS_TABLE_PART, Name::is_table_part),
        ("table section", TABLE_SECTION, Name::is_table_section),
        ("skipped", IS_SKIPPED, Name::is_skipped),
        ("block", IS_BLOCK, Name::is_block),
    ];
    let lists: Vec<&[&str]> = categories.iter().map(|c| c.1).collect();
    let mut rng = fastrand::Rng::with_seed(21);
    let (mut known, mut other) = (0, 0);
    for name in names_to_ask(&lists, &mut rng) {
        let n = Name::of(&name);
        for (category, list, is) in &categories {
            assert_eq!(is(n), list.contains(&name.as_str()), "{category}: {name:?} ({n:?})");
        }
        // A known name is the text it was found by; every listed one is known.
        if n == Name::Other {
            assert!(!lists.iter().any(|l| l.contains(&name.as_str())), "{name:?}");
            other += 1;
        } else {
            assert_eq!(n.text(), name);
            known += 1;
        }
    }
    assert!(known > 500 && other > 10_000, "{known} known, {other} other");
}

/// Markup built at random from every name the rules know, near misses and unknown names, in
/// any case, mostly well nested, some end tags left out or stray.
fn random_markup(rng: &mut fastrand::Rng, names: &[&str], depth: usize, out: &mut String) {
    for _ in 0..rng.usize(1..=4) {
        match rng.u8(..10) {
            0 => out.push_str(rng.choice(["甲", " ", "\n", "&amp;乙", "R&D"]).unwrap_or("")),
            1 if depth < 3 => {
                out.push_str("<table><tr><td>");
                random_markup(rng, names, depth + 1, out);
                out.push_str(
                    rng.choice(["</td><td>丙</td></tr></table>", "<td>丁</table>", "</td></tr></table>"]).unwrap_or(""),
                );
            }
            _ => {
                let name = names[rng.usize(..names.len())];
                let written = if rng.u8(..8) == 0 { name.to_ascii_uppercase() } else { name.to_string() };
                out.push_str(&format!("<{written}>"));
                // A void element has no content and no end tag (one is a stray `</br>`).
                let void = ["area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input"]
                    .into_iter()
                    .chain(["keygen", "link", "meta", "param", "source", "track", "wbr"])
                    .any(|v| v == name);
                if void {
                    continue;
                }
                if depth < 3 {
                    random_markup(rng, names, depth + 1, out);
                }
                match rng.u8(..20) {
                    0 => {}
                    1 => out.push_str(&format!("</{}>", names[rng.usize(..names.len())])),
                    _ => out.push_str(&format!("</{written}>")),
                }
            }
        }
    }
}

#[test]
fn pages_of_every_tag_name_read_as_html5ever_reads_them() {
    let lists: Vec<&[&str]> = [string_lists::IS_SPECIAL, string_lists::GIVES_UP_IN_BODY, string_lists::IS_BLOCK]
        .into_iter()
        .chain([string_lists::IS_FORMATTING, string_lists::IS_VOID_IN_BODY, string_lists::IS_BLOCK_END])
        .collect();
    let mut names: Vec<&str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    // Unknown names and near misses; and the names pages are made of, often, so that
    // enough pages stay within what the fast path reads.
    names.extend(["x-a", "x-b", "tdx", "h7", "label", "legend"]);
    for _ in 0..20 {
        names.extend(["span", "div", "p", "b", "font", "x-a", "ul", "li", "h2", "br", "strong", "center"]);
    }
    let mut rng = fastrand::Rng::with_seed(22);
    let (mut tried, mut read) = (0, 0);
    for _ in 0..20_000 {
        let mut page = String::from(rng.choice(["", "<!DOCTYPE html>", "<html><body>"]).unwrap_or(""));
        random_markup(&mut rng, &names, 0, &mut page);
        tried += 1;
        read += usize::from(same_as_html5ever("random markup", &page));
    }
    // Both sides of the contract are exercised: many pages read, most given up on (a page
    // of random tags nearly always holds one the fast path leaves to html5ever).
    eprintln!("fast path read {read} of {tried} random pages");
    assert!(read * 20 > tried && read * 2 < tried, "{read} of {tried}");
}

#[test]
fn an_end_tag_of_an_unknown_name_closes_only_an_element_of_that_name() {
    let max = crate::config::DEFAULT_MAX_HTML_DEPTH;
    assert!(same_as_html5ever("unknown", "<div><x-a>甲</x-a>乙</div>"));
    assert!(same_as_html5ever("unknown", "<div><x-a>甲</X-A>乙</div>"));
    // Another unknown name is a stray end tag, which html5ever ignores (merging the text).
    assert_eq!(fast_path("<div><x-a>甲</x-b>乙</div>", max), None);
    assert_eq!(fast_path("<div><span>甲</spa>乙</div>", max), None);
}

#[test]
fn overlapping_spans_keep_the_first_claimant_and_gaps_read_blank() {
    let g = read(
        "<table><tr><td>A</td><td rowspan=2>B</td><td>甲</td><td rowspan=3>乙</td></tr>\
         <tr><td colspan=3>C</td></tr><tr><td>D</td></tr></table>",
    );
    let r = &g.rows[1];
    // C starts in the free column 0; B's covered column 1 stays B's, 2 is C's, 3 乙's.
    assert_eq!((r[0].text.as_str(), r[0].col_span, r[0].merged), ("C", 3, false));
    assert!(r[1].merged && r[2].merged && r[3].merged);
    assert_eq!(r.len(), 4);
    // Column 3 is covered from above with nothing placed between: the gap reads as blank.
    let r = &g.rows[2];
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].text, "D");
    assert!(!r[1].merged && r[1].text.is_empty() && !r[2].merged && r[2].text.is_empty());
    assert!(r[3].merged);
}

/// The whitespace rules read a character at a time, as [`TextBuf::push_text`] read them
/// before it went by bytes: the model it must keep matching.
fn push_text_by_chars(buf: &mut TextBuf, text: &str, pre: bool) {
    let mut newlines = 0;
    for c in text.chars() {
        match c {
            '\n' if pre => buf.push_newline(),
            ' ' | '\t' | '\n' | '\r' | '\x0c' => {
                if c == '\n' {
                    newlines += 1;
                    if newlines == 2 {
                        buf.push_break();
                    }
                }
                if !buf.s.is_empty() && !buf.s.ends_with([' ', '\n']) {
                    buf.s.push(' ');
                }
            }
            '\u{a0}' => {
                newlines = 0;
                buf.s.push(' ');
            }
            _ => {
                newlines = 0;
                buf.s.push(c);
            }
        }
    }
}

#[test]
fn whitespace_read_by_bytes_follows_the_rules_read_by_chars() {
    // Characters with a rule, and ones whose bytes look like them (`\u{80}`-`\u{bf}` lead
    // with C2 as `\u{a0}` does; `\u{1}` is a control character with no rule).
    const PIECES: &[&str] =
        &[" ", "\t", "\n", "\r", "\x0c", "\u{a0}", "\u{80}", "\u{bf}", "\u{1}", "\u{3000}", "项目", "a", "7.5"];
    let mut rng = fastrand::Rng::with_seed(20);
    for _ in 0..20_000 {
        let pre = rng.bool();
        let (mut by_bytes, mut by_chars) = (TextBuf::default(), TextBuf::default());
        for _ in 0..rng.usize(1..4) {
            let text: String = (0..rng.usize(0..12)).map(|_| PIECES[rng.usize(..PIECES.len())]).collect();
            by_bytes.push_text(&text, pre);
            push_text_by_chars(&mut by_chars, &text, pre);
            assert_eq!(by_bytes.s, by_chars.s, "{text:?} (pre: {pre})");
            assert_eq!(by_bytes.multiline, by_bytes.s.contains('\n'), "{:?}", by_bytes.s);
            if rng.u8(..4) == 0 {
                by_bytes.push_break();
                by_chars.push_break();
            }
        }
    }
}
