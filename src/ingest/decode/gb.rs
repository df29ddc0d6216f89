//! Stage 2, decode (GB family): text that is plainly GB2312/GBK/GB18030 Chinese, told without chardetng.
//!
//! chardetng weighs every legacy encoding it knows on every byte, and was most of the
//! decode floor. A file that decodes as GB18030 with no malformed sequence and whose
//! two-byte characters look like Chinese in GB2312's layout is GB; only what fails that is
//! left to chardetng.
//!
//! Big5 and Shift_JIS text mostly decodes cleanly as GB18030 too, but their characters use
//! trail bytes below 0xA1 (Big5) or lead bytes below 0xA1 (Shift_JIS), which GB2312's hanzi
//! never do. EUC-KR and EUC-JP share GB2312's byte layout: Korean Hangul sits in lead
//! bytes 0xB0–0xC8 only, Japanese kana in rows 0xA4–0xA5, while Chinese text spreads over
//! all hanzi rows and seldom uses kana.

use encoding_rs::GB18030;

/// Two-byte characters needed before the layout figures mean anything.
const MIN_CHARS: usize = 16;
/// Two-byte characters looked at (the file's first ones).
const SAMPLE_CHARS: usize = 4096;

/// The decoded text when `bytes` is plainly GB-encoded Chinese.
pub(super) fn plain_gb(bytes: &[u8]) -> Option<String> {
    if !looks_like_gb2312_chinese(bytes) {
        return None;
    }
    let (text, errors) = super::decode_counting(GB18030, bytes);
    (errors == 0).then_some(text)
}

/// Share tests on the file's first two-byte characters (see the module comment).
fn looks_like_gb2312_chinese(bytes: &[u8]) -> bool {
    let (mut chars, mut gb2312, mut upper_rows, mut kana) = (0usize, 0usize, 0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() && chars < SAMPLE_CHARS {
        let lead = bytes[i];
        if lead.is_ascii() {
            i += 1;
            continue;
        }
        let Some(&trail) = bytes.get(i + 1) else { break };
        if trail.is_ascii_digit() {
            // A GB18030 four-byte sequence: valid, but not GB2312 Chinese.
            i += 4;
            chars += 1;
            continue;
        }
        chars += 1;
        if (0xA1..=0xF7).contains(&lead) && (0xA1..=0xFE).contains(&trail) {
            gb2312 += 1;
            upper_rows += usize::from(lead >= 0xC9);
            kana += usize::from(matches!(lead, 0xA4 | 0xA5));
        }
        i += 2;
    }
    chars >= MIN_CHARS && gb2312 * 10 >= chars * 9 && upper_rows * 10 >= gb2312 && kana * 20 <= gb2312
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{BIG5, EUC_JP, EUC_KR, SHIFT_JIS};

    const CHINESE: &str =
        "东莞市财政项目支出绩效目标批复表\n预算单位：中共东莞市直属机关工作委员会\n项目名称\t党内统计工作经费\n";

    #[test]
    fn gb_chinese_is_plain_gb() {
        let (bytes, _, _) = GB18030.encode(CHINESE);
        assert_eq!(plain_gb(&bytes).as_deref(), Some(CHINESE));
    }

    #[test]
    fn other_cjk_encodings_are_left_to_chardetng() {
        let (big5, _, _) = BIG5.encode(
            "東莞市財政項目支出績效目標批覆表\n預算單位：中共東莞市直屬機關工作委員會\n項目名稱\t黨內統計工作經費\n",
        );
        let (sjis, _, _) =
            SHIFT_JIS.encode("東京都の財政事業支出の成果目標を承認する表です。予算単位は東京都庁の総務局です。");
        let (eucjp, _, _) =
            EUC_JP.encode("とうきょうとのざいせいじぎょうししゅつのせいかもくひょうをしょうにんするひょうです。");
        let (euckr, _, _) = EUC_KR
            .encode("동관시 재정 프로젝트 지출 성과 목표 승인표 예산 단위 중국 공산당 동관시 직속 기관 공작 위원회");
        for (name, bytes) in [("big5", big5), ("shift_jis", sjis), ("euc-jp", eucjp), ("euc-kr", euckr)] {
            assert_eq!(plain_gb(&bytes), None, "{name}");
        }
    }

    #[test]
    fn broken_or_short_gb_is_left_to_chardetng() {
        let (bytes, _, _) = GB18030.encode(CHINESE);
        let mut broken = bytes.clone().into_owned();
        broken.insert(20, 0x81);
        assert_eq!(plain_gb(&broken), None);
        let (short, _, _) = GB18030.encode("项目名称");
        assert_eq!(plain_gb(&short), None);
    }
}
