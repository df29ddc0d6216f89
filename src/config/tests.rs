//! Pipeline files: tests of the checker, the defaults and the docs against the schema.

use super::*;

const SAMPLE: &str = include_str!("../../pipelines/sample.toml");
const NIGHTLY: &str = include_str!("../../pipelines/nightly.toml");
const DOCS: &str = include_str!("../../docs/pipelines.md");

fn ok(text: &str) -> Pipeline {
    match parse(text, Path::new("test.toml")) {
        Ok(p) => p,
        Err(e) => panic!("expected a valid pipeline, got: {e}"),
    }
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(text, Path::new("test.toml")) {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("expected ConfigError::Invalid, got {other:?}"),
    }
}

fn keys(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.key.as_str()).collect()
}

fn default_of(path: &str) -> String {
    schema::KEYS
        .iter()
        .find(|k| k.path == path)
        .map(|k| k.default.shown())
        .unwrap_or_else(|| panic!("{path} missing from schema::KEYS"))
}

const MINIMAL: &str = r#"
name = "minimal"
[[input]]
root = "data"
[output]
dir = "out"
"#;

#[test]
fn minimal_file_gets_defaults() {
    let p = ok(MINIMAL);
    assert_eq!(p.name, "minimal");
    assert_eq!(
        p.inputs,
        vec![Input { root: PathBuf::from("data"), include: vec!["**/*".to_string()], exclude: vec![] }]
    );
    assert_eq!(p.output.dir, PathBuf::from("out"));
    assert_eq!(p.output.keep_snapshots, 5);
    assert_eq!(p.limits, Limits::default());
    assert_eq!(p.limits.max_file_time, Duration::from_secs(30));
    assert!(p.limits.thread_count() >= 1);
    assert_eq!(p.report, Report { enabled: false, year: None, region: None, dir: PathBuf::from("out/report") });
    assert_eq!(p.log.format, LogFormat::Human);
}

#[test]
fn defaults_table_matches_applied_defaults() {
    let p = ok(MINIMAL);
    let input = &p.inputs[0];
    assert_eq!(default_of("input[].include"), format!("{:?}", input.include));
    assert_eq!(default_of("input[].exclude"), format!("{:?}", input.exclude));
    assert_eq!(default_of("output.keep_snapshots"), p.output.keep_snapshots.to_string());
    assert_eq!(default_of("limits.threads"), p.limits.threads.to_string());
    assert_eq!(default_of("limits.max_file_bytes"), p.limits.max_file_bytes.to_string());
    assert_eq!(default_of("limits.max_file_seconds"), p.limits.max_file_time.as_secs().to_string());
    assert_eq!(default_of("report.enabled"), p.report.enabled.to_string());
    assert_eq!(default_of("report.dir"), "<output.dir>/report");
    assert_eq!(p.report.dir, p.output.dir.join("report"));
    assert_eq!(default_of("log.format"), format!("{:?}", p.log.format.as_str()));
    // The applied defaults are the typed ones the CLI starts from.
    assert_eq!(p.limits, Limits::default());
    assert_eq!(p.output.keep_snapshots, DEFAULT_KEEP_SNAPSHOTS);
    assert_eq!(p.output.compression, Codec::default());
}

#[test]
fn the_compression_default_is_the_codec_the_library_defaults_to() {
    assert_eq!(Codec::from_name(DEFAULT_COMPRESSION), Some(Codec::default()));
    for name in Codec::NAMES {
        assert!(Codec::from_name(name).is_some(), "{name}");
    }
}

#[test]
fn a_misspelt_compression_is_a_problem_with_the_choices() {
    let found = problems("name = \"p\"\n[[input]]\nroot = \"x\"\n[output]\ndir = \"o\"\ncompression = \"zstandard\"\n");
    assert_eq!(keys(&found), ["output.compression"], "{found:?}");
    assert!(found[0].message.contains("snappy") && found[0].message.contains("zstd"), "{found:?}");
}

#[test]
fn schema_gives_each_table_its_keys() {
    // The key lists the checker used to spell out by hand, now read from the schema.
    assert_eq!(schema::sections(), vec!["", "input", "output", "limits", "report", "log"]);
    assert_eq!(schema::keys_of(""), vec!["name", "input", "shard", "output", "limits", "report", "log"]);
    assert_eq!(schema::keys_of("input"), vec!["root", "include", "exclude"]);
    assert_eq!(schema::keys_of("output"), vec!["dir", "keep_snapshots", "delta", "compression"]);
    assert_eq!(schema::keys_of("limits"), vec!["threads", "max_file_bytes", "max_file_seconds", "max_html_depth"]);
    assert_eq!(schema::keys_of("report"), vec!["enabled", "year", "region", "dir"]);
    assert_eq!(schema::keys_of("log"), vec!["format"]);
    assert_eq!(DEFAULT_THREADS, 0);
    assert_eq!(DEFAULT_MAX_FILE_BYTES, 64 * 1024 * 1024);
    assert_eq!(DEFAULT_MAX_FILE_SECONDS, 30);
    assert_eq!(DEFAULT_MAX_HTML_DEPTH, 512);
}

#[test]
fn full_file_round_trips() {
    let p = ok(r#"
name = "full_1-x"
[[input]]
root = "a"
include = ["**/*.html", "**/*.xlsx"]
exclude = ["**/README.md"]
[[input]]
root = "/abs/b"
[output]
dir = "o"
keep_snapshots = 1
[limits]
threads = 1024
max_file_bytes = 1
max_file_seconds = 1
max_html_depth = 1
[report]
enabled = true
year = 2100
region = "东莞市"
dir = "r"
[log]
format = "json"
"#);
    assert_eq!(p.inputs.len(), 2);
    assert_eq!(p.inputs[0].include, vec!["**/*.html", "**/*.xlsx"]);
    assert_eq!(p.inputs[0].exclude, vec!["**/README.md"]);
    assert_eq!(p.inputs[1].root, PathBuf::from("/abs/b"));
    assert_eq!(p.output.keep_snapshots, 1);
    let limits = Limits { threads: 1024, max_file_bytes: 1, max_file_time: Duration::from_secs(1), max_html_depth: 1 };
    assert_eq!(p.limits, limits);
    assert_eq!(p.limits.thread_count(), 1024);
    assert_eq!(p.report.year, Some(2100));
    assert_eq!(p.report.region.as_deref(), Some("东莞市"));
    assert_eq!(p.report.dir, PathBuf::from("r"));
    assert_eq!(p.log.format, LogFormat::Json);
}

#[test]
fn five_problems_are_all_reported() {
    let found = problems(
        r#"
name = "Bad Name"
[[input]]
root = "data"
[[input]]
root = "more"
include = ["**/*.html", "["]
[output]
dir = "out"
keep_snapshots = 0
[limits]
threads = 2000
[log]
format = "xml"
"#,
    );
    assert_eq!(
        keys(&found),
        vec!["name", "input[1].include[1]", "output.keep_snapshots", "limits.threads", "log.format"],
        "{found:#?}"
    );
    assert_eq!(found[1].to_string(), "input[1].include[1]: invalid glob \"[\": unclosed character class; missing ']'");
    assert_eq!(found[2].to_string(), "output.keep_snapshots: must be at least 1, found 0");
    assert_eq!(found[3].to_string(), "limits.threads: must be at most 1024 (0 means all cores), found 2000");
    assert_eq!(found[4].to_string(), "log.format: must be \"human\" or \"json\", found \"xml\"");
}

#[test]
fn unknown_keys_suggest_the_nearest() {
    let found = problems(
        r#"
name = "x"
[[inputs]]
root = "data"
[output]
dir = "out"
keep_snapshot = 3
[limits]
thread = 2
"#,
    );
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        shown.contains(&"output.keep_snapshot: unknown key; did you mean \"keep_snapshots\"?".to_string()),
        "{shown:#?}"
    );
    assert!(shown.contains(&"limits.thread: unknown key; did you mean \"threads\"?".to_string()), "{shown:#?}");
    assert!(shown.contains(&"inputs: unknown key; did you mean \"input\"?".to_string()), "{shown:#?}");
    // The misspelt [[inputs]] also leaves the required input missing.
    assert!(keys(&found).contains(&"input"), "{shown:#?}");
}

#[test]
fn key_in_the_wrong_table_says_where_it_belongs() {
    let found = problems(
        r#"
[[input]]
root = "data"
[output]
dir = "out"
name = "late"
threads = 4
"#,
    );
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(shown.contains(&"name: required key missing".to_string()), "{shown:#?}");
    assert!(
        shown.iter().any(|s| s.starts_with("output.name: unknown key here; \"name\" belongs at the top of the file")),
        "{shown:#?}"
    );
    assert!(
        shown.contains(&"output.threads: unknown key here; \"threads\" belongs in the [limits] table".to_string()),
        "{shown:#?}"
    );
}

#[test]
fn key_with_two_homes_names_both() {
    let found = problems(&format!("{MINIMAL}\n[limits]\ndir = \"x\"\n"));
    assert_eq!(
        found[0].to_string(),
        "limits.dir: unknown key here; \"dir\" belongs in the [output] table or in the [report] table"
    );
    let found = problems(&format!("{MINIMAL}\n[report]\nroot = \"x\"\n"));
    assert_eq!(found[0].to_string(), "report.root: unknown key here; \"root\" belongs in an [[input]] table");
}

#[test]
fn far_unknown_key_lists_the_expected_ones() {
    let found = problems(&format!("{MINIMAL}\n[log]\ncolour = true\n"));
    assert_eq!(found[0].to_string(), "log.colour: unknown key; expected one of \"format\"");
}

#[test]
fn empty_file_reports_required_keys() {
    assert_eq!(keys(&problems("")), vec!["name", "input", "output"]);
}

#[test]
fn wrong_types_are_reported_with_what_was_found() {
    let found = problems(
        r#"
name = 7
input = "data"
output = "out"
limits = 1
report = []
log = false
"#,
    );
    assert_eq!(keys(&found), vec!["name", "input", "output", "limits", "report", "log"]);
    assert_eq!(found[0].message, "expected a string, found integer 7");

    let found = problems(
        r#"
name = "t"
[input]
root = "data"
[output]
dir = "out"
keep_snapshots = "3"
[limits]
max_file_seconds = 1.5
[report]
enabled = "yes"
year = 1989
"#,
    );
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
            "input: expected an array of tables: write [[input]] with double brackets, not [input]",
            "output.keep_snapshots: expected an integer, found string \"3\"",
            "limits.max_file_seconds: expected an integer, found float 1.5",
            "report.enabled: expected true or false, found string \"yes\"",
            "report.year: must be at least 1990, found 1989",
        ]
    );
}

#[test]
fn bad_inputs_and_globs() {
    let found = problems(
        r#"
name = "t"
input = []
[output]
dir = ""
"#,
    );
    assert_eq!(keys(&found), vec!["input", "output.dir"]);

    let found = problems(
        r#"
name = "t"
[[input]]
root = "a"
include = []
exclude = ["/abs/*.tmp", "./x", "", 3, "**/ok"]
[[input]]
root = "a"
[output]
dir = "out"
[report]
year = 2101
region = " "
"#,
    );
    assert_eq!(
        keys(&found),
        vec![
            "input[0].include",
            "input[0].exclude[0]",
            "input[0].exclude[1]",
            "input[0].exclude[2]",
            "input[0].exclude[3]",
            "input[1].root",
            "report.year",
            "report.region",
        ],
        "{found:#?}"
    );
}

#[test]
fn syntax_error_is_parse_with_position() {
    match parse("name = \"x\"\n[output\n", Path::new("p/x.toml")) {
        Err(e @ ConfigError::Parse { .. }) => {
            let shown = e.to_string();
            assert!(shown.starts_with("p/x.toml: invalid TOML: line 2, column"), "{shown}");
            assert!(!shown.contains('\n'), "{shown}");
        }
        other => panic!("expected Parse, got {other:?}"),
    }
}

#[test]
fn invalid_error_lists_every_problem() {
    let e = parse("", Path::new("p/x.toml")).err();
    let shown = e.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        shown,
        "p/x.toml: 3 problems\n  name: required key missing\n  \
             input: required key missing: add at least one [[input]] table with a root\n  \
             output: required table missing: add [output] with dir = \"...\""
    );
}

#[test]
fn load_and_validate_read_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    assert!(validate(&dir.join("sample.toml")).is_empty());
    assert!(load(&dir.join("nightly.toml")).is_ok());

    let missing = dir.join("does-not-exist.toml");
    assert!(matches!(load(&missing), Err(ConfigError::Read { .. })));
    let found = validate(&missing);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, "");
    assert!(found[0].to_string().starts_with("cannot read pipeline file "));
}

#[test]
fn shipped_sample_pipeline() {
    let p = ok(SAMPLE);
    assert_eq!(p.name, "sample");
    assert_eq!(p.inputs.len(), 1);
    assert_eq!(p.inputs[0].root, PathBuf::from("sample_data"));
    assert_eq!(p.output.dir, PathBuf::from("out"));
    assert_eq!(p.output.keep_snapshots, 3);
    assert!(p.report.enabled);
    assert_eq!(p.report.year, Some(2020));
    assert_eq!(p.report.dir, PathBuf::from("out/report"));
    let m = match p.inputs[0].matcher() {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    // The samples' README documents them; it is not a disclosure.
    assert!(!m.is_match("README.md"));
    assert!(m.is_match("guangdong/dongguan/2020/部门整体支出绩效目标表.html"));
    assert!(m.is_match("a.xlsx"));
}

#[test]
fn shipped_nightly_pipeline() {
    let p = ok(NIGHTLY);
    assert_eq!(p.inputs.len(), 2);
    assert_eq!(p.output.dir, PathBuf::from("/srv/jixiao/dataset"));
    assert_eq!(p.output.keep_snapshots, 14);
    assert_eq!(p.limits.threads, 0);
    assert_eq!(p.log.format, LogFormat::Json);
    assert!(p.report.enabled);
    assert_eq!(p.report.year, None);
    for input in &p.inputs {
        let m = match input.matcher() {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        assert!(m.is_match("dongguan/2021/0001.html"));
        assert!(!m.is_match("dongguan/2021/0001.html.tmp"));
        assert!(!m.is_match(".partial/0002.html"));
        assert!(!m.is_match("dongguan/.partial/0002.html"));
    }
}

#[test]
fn matcher_semantics() {
    let input = Input {
        root: PathBuf::from("r"),
        include: vec!["**/*.html".into(), "*.csv".into()],
        exclude: vec!["tmp/**".into()],
    };
    let m = match input.matcher() {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    assert!(m.is_match("a.html"));
    assert!(m.is_match("x/y/a.html"));
    assert!(m.is_match("a.csv"));
    // `*` does not cross directories.
    assert!(!m.is_match("x/a.csv"));
    assert!(!m.is_match("tmp/a.html"));
    assert!(!m.is_match("a.xlsx"));

    let bad = Input { root: PathBuf::from("r"), include: vec!["[".into(), "ok".into()], exclude: vec!["{a".into()] };
    match bad.matcher() {
        Err(ConfigError::Invalid { path, problems }) => {
            assert_eq!(path, PathBuf::from("r"));
            assert_eq!(keys(&problems), vec!["include[0]", "exclude[0]"]);
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn byte_order_mark_is_ignored() {
    ok(&format!("\u{feff}{MINIMAL}"));
}

#[test]
fn suggestions() {
    assert_eq!(check::closest("formt", &schema::keys_of("log")), Some("format"));
    assert_eq!(check::closest("dri", &schema::keys_of("output")), None);
    assert_eq!(check::closest("max_file_byte", &schema::keys_of("limits")), Some("max_file_bytes"));
    assert_eq!(check::closest("inputs", &schema::keys_of("")), Some("input"));
    assert_eq!(check::closest("colour", &schema::keys_of("log")), None);
}

#[test]
fn docs_key_table_is_the_schema() {
    for key in schema::KEYS {
        assert!(!key.doc.contains('|'), "{}: '|' would break the docs table", key.path);
    }
    let table = schema::markdown_table();
    assert!(
        DOCS.contains(&table),
        "docs/pipelines.md's key table differs from config::schema::KEYS; replace it with:\n\n{table}"
    );
}

#[test]
fn docs_example_output_is_real() {
    let found = problems(
        r#"
name = "Sample"
[[input]]
root = "sample_data"
include = ["["]
[output]
dir = "out"
keep_snapshots = 0
[limits]
thread = 4
[log]
format = "xml"
"#,
    );
    assert_eq!(found.len(), 5);
    for problem in &found {
        let line = problem.to_string();
        assert!(DOCS.lines().any(|l| l == line), "docs/pipelines.md example lacks the line: {line}");
    }
}

#[test]
fn docs_show_the_shipped_files_verbatim() {
    assert!(DOCS.contains(SAMPLE.trim_end()), "docs/pipelines.md must quote pipelines/sample.toml verbatim");
    assert!(DOCS.contains(NIGHTLY.trim_end()), "docs/pipelines.md must quote pipelines/nightly.toml verbatim");
}
