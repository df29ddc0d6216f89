//! Stage 3, layout: HTML tag names, looked up once per tag.
//!
//! Why: the fast path's tree rules and the walker ask of every tag which of the standard's
//! lists it is on, and the rules search the open elements for names. As text that was a
//! string comparison per list entry and per open element; as a [`Name`] every list is a
//! `match` (its categories sit beside the rules that ask them: `fast.rs` for the tree rules,
//! `html.rs` for the walk) and every search compares integers.

/// Declares [`Name`] and its text both ways from one table, so the two cannot drift apart.
macro_rules! names {
    ($($variant:ident = $text:literal,)*) => {
        /// The tag names the fast path's tree rules and the walker tell apart. Any other
        /// name is [`Name::Other`]; the fast path keeps its text beside it.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(crate) enum Name {
            $($variant,)*
            Other,
        }

        impl Name {
            /// The name of a lowercased tag name.
            pub(crate) fn of(name: &str) -> Name {
                // Byte-string patterns against a slice are matched by length and then byte
                // by byte, not compared one name after another.
                match name.as_bytes() {
                    $($text => Name::$variant,)*
                    _ => Name::Other,
                }
            }

            /// The tag name a known name stands for (`""` for [`Name::Other`]).
            pub(crate) const fn text(self) -> &'static str {
                match self {
                    $(Name::$variant => const {
                        match std::str::from_utf8($text) {
                            Ok(s) => s,
                            Err(_) => panic!("a tag name is ASCII"),
                        }
                    },)*
                    Name::Other => "",
                }
            }
        }
    };
}

names! {
    A = b"a", Address = b"address", Applet = b"applet", Area = b"area", Article = b"article",
    Aside = b"aside", B = b"b", Base = b"base", Basefont = b"basefont", Bgsound = b"bgsound",
    Big = b"big", Blockquote = b"blockquote", Body = b"body", Br = b"br", Button = b"button",
    Caption = b"caption", Center = b"center", Code = b"code", Col = b"col", Colgroup = b"colgroup",
    Dd = b"dd", Details = b"details", Dialog = b"dialog", Dir = b"dir", Div = b"div", Dl = b"dl",
    Dt = b"dt", Em = b"em", Embed = b"embed", Fieldset = b"fieldset", Figcaption = b"figcaption",
    Figure = b"figure", Font = b"font", Footer = b"footer", Form = b"form", Frame = b"frame",
    Frameset = b"frameset", H1 = b"h1", H2 = b"h2", H3 = b"h3", H4 = b"h4", H5 = b"h5", H6 = b"h6",
    Head = b"head", Header = b"header", Hgroup = b"hgroup", Hr = b"hr", Html = b"html", I = b"i",
    Iframe = b"iframe", Image = b"image", Img = b"img", Input = b"input", Isindex = b"isindex",
    Keygen = b"keygen", Legend = b"legend", Li = b"li", Link = b"link", Listing = b"listing", Main = b"main",
    Marquee = b"marquee", Math = b"math", Menu = b"menu", Meta = b"meta", Nav = b"nav",
    Nobr = b"nobr", Noembed = b"noembed", Noframes = b"noframes", Noscript = b"noscript",
    Object = b"object", Ol = b"ol", Optgroup = b"optgroup", Option = b"option", P = b"p",
    Param = b"param", Plaintext = b"plaintext", Pre = b"pre", Rb = b"rb", Rp = b"rp", Rt = b"rt",
    Rtc = b"rtc", S = b"s", Script = b"script", Search = b"search", Section = b"section",
    Select = b"select", Small = b"small", Source = b"source", Strike = b"strike", Strong = b"strong",
    Style = b"style", Summary = b"summary", Svg = b"svg", Table = b"table", Tbody = b"tbody",
    Td = b"td", Template = b"template", Textarea = b"textarea", Tfoot = b"tfoot", Th = b"th",
    Thead = b"thead", Title = b"title", Tr = b"tr", Track = b"track", Tt = b"tt", U = b"u",
    Ul = b"ul", Wbr = b"wbr", Xmp = b"xmp",
}
