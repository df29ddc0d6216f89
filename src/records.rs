//! Stage 5, records: the Arrow schemas of the three datasets and the builders that fill them.
//!
//! `year` is not a column: it lives only in the Hive partition path (`year=2020/`), because
//! pyarrow and pandas fail on a column that is both in the file and in the path.
//! docs/schema.md documents every column; the `schema_doc_lists_every_column` test keeps the two in step.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, RecordBatch,
    StringBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rust_decimal::Decimal;

/// Money: decimal(18,2) in yuan, exact to the fen.
pub const MONEY: DataType = DataType::Decimal128(18, 2);

fn list_of_strings() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

pub static FILES: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("size_bytes", DataType::UInt64, false),
        Field::new("mtime_ns", DataType::Int64, false),
        Field::new("content_hash", DataType::Utf8, true),
        Field::new("encoding", DataType::Utf8, true),
        Field::new("had_bom", DataType::Boolean, true),
        Field::new("decode_errors", DataType::UInt64, false),
        Field::new("layout", DataType::Utf8, true),
        Field::new("tables", DataType::Int32, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("error", DataType::Utf8, true),
    ]))
});

pub static PROJECTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("project_id", DataType::Utf8, false),
        Field::new("path", DataType::Utf8, false),
        Field::new("table_index", DataType::Int32, false),
        Field::new("form", DataType::Utf8, false),
        Field::new("title", DataType::Utf8, true),
        Field::new("region", DataType::Utf8, true),
        Field::new("budget_unit", DataType::Utf8, true),
        Field::new("department", DataType::Utf8, true),
        Field::new("project_name", DataType::Utf8, true),
        Field::new("midterm_budget_yuan", MONEY, true),
        Field::new("annual_budget_yuan", MONEY, true),
        Field::new("midterm_start_year", DataType::Int32, true),
        Field::new("midterm_end_year", DataType::Int32, true),
        Field::new("midterm_goal", DataType::Utf8, true),
        Field::new("annual_goal", DataType::Utf8, true),
        Field::new("approval_opinion", DataType::Utf8, true),
        Field::new("indicators", DataType::Int32, false),
        Field::new("parse_confidence", DataType::Float64, false),
        Field::new("parse_notes", list_of_strings(), false),
        Field::new("quality_score", DataType::Int32, true),
        Field::new("quality_flags", list_of_strings(), false),
    ]))
});

pub static INDICATORS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("project_id", DataType::Utf8, false),
        Field::new("path", DataType::Utf8, false),
        Field::new("horizon", DataType::Utf8, false),
        Field::new("level1", DataType::Utf8, false),
        Field::new("level2", DataType::Utf8, false),
        Field::new("level3", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
        Field::new("row_index", DataType::Int32, false),
        Field::new("level1_code", DataType::Utf8, false),
        Field::new("level2_code", DataType::Utf8, false),
        Field::new("value_op", DataType::Utf8, true),
        Field::new("value_number", DataType::Float64, true),
        Field::new("value_unit", DataType::Utf8, true),
        Field::new("value_kind", DataType::Utf8, false),
        Field::new("quality_score", DataType::Int32, false),
        Field::new("quality_flags", list_of_strings(), false),
    ]))
});

#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub path: String,
    pub size_bytes: u64,
    pub mtime_ns: i64,
    pub content_hash: Option<String>,
    pub encoding: Option<String>,
    pub had_bom: Option<bool>,
    pub decode_errors: u64,
    pub layout: Option<String>,
    pub tables: i32,
    pub status: Status,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok,
    Partial,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Partial => "partial",
            Status::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRow {
    pub year: i32,
    pub project_id: String,
    pub path: String,
    pub table_index: i32,
    pub form: String,
    pub title: Option<String>,
    pub region: Option<String>,
    pub budget_unit: Option<String>,
    pub department: Option<String>,
    pub project_name: Option<String>,
    pub midterm_budget_yuan: Option<Decimal>,
    pub annual_budget_yuan: Option<Decimal>,
    pub midterm_start_year: Option<i32>,
    pub midterm_end_year: Option<i32>,
    pub midterm_goal: Option<String>,
    pub annual_goal: Option<String>,
    pub approval_opinion: Option<String>,
    pub indicators: i32,
    pub parse_confidence: f64,
    pub parse_notes: Vec<String>,
    pub quality_score: Option<i32>,
    pub quality_flags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    pub year: i32,
    pub project_id: String,
    pub path: String,
    pub horizon: String,
    pub level1: String,
    pub level2: String,
    pub level3: String,
    pub value: String,
    pub row_index: i32,
    pub level1_code: String,
    pub level2_code: String,
    pub value_op: Option<String>,
    pub value_number: Option<f64>,
    pub value_unit: Option<String>,
    pub value_kind: String,
    pub quality_score: i32,
    pub quality_flags: Vec<String>,
}

fn money(d: Option<Decimal>) -> Option<i128> {
    d.map(|mut d| {
        d.rescale(2);
        d.mantissa()
    })
}

fn push_list(b: &mut ListBuilder<StringBuilder>, items: &[String]) {
    for i in items {
        b.values().append_value(i);
    }
    b.append(true);
}

fn money_builder() -> Decimal128Builder {
    Decimal128Builder::new().with_data_type(MONEY)
}

/// Column builders of one dataset; rows go in, a record batch comes out.
pub trait Rows {
    type Row;
    fn push(&mut self, row: &Self::Row);
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn finish(&mut self) -> RecordBatch;
}

#[derive(Default)]
pub struct FilesBuilder {
    path: StringBuilder,
    size: UInt64Builder,
    mtime: Int64Builder,
    hash: StringBuilder,
    encoding: StringBuilder,
    bom: BooleanBuilder,
    errors: UInt64Builder,
    layout: StringBuilder,
    tables: Int32Builder,
    status: StringBuilder,
    error: StringBuilder,
    n: usize,
}

impl Rows for FilesBuilder {
    type Row = FileRow;
    fn push(&mut self, r: &FileRow) {
        self.path.append_value(&r.path);
        self.size.append_value(r.size_bytes);
        self.mtime.append_value(r.mtime_ns);
        self.hash.append_option(r.content_hash.as_deref());
        self.encoding.append_option(r.encoding.as_deref());
        self.bom.append_option(r.had_bom);
        self.errors.append_value(r.decode_errors);
        self.layout.append_option(r.layout.as_deref());
        self.tables.append_value(r.tables);
        self.status.append_value(r.status.as_str());
        self.error.append_option(r.error.as_deref());
        self.n += 1;
    }
    fn len(&self) -> usize {
        self.n
    }
    fn finish(&mut self) -> RecordBatch {
        self.n = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.path.finish()),
            Arc::new(self.size.finish()),
            Arc::new(self.mtime.finish()),
            Arc::new(self.hash.finish()),
            Arc::new(self.encoding.finish()),
            Arc::new(self.bom.finish()),
            Arc::new(self.errors.finish()),
            Arc::new(self.layout.finish()),
            Arc::new(self.tables.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.error.finish()),
        ];
        batch(&FILES, cols)
    }
}

pub struct ProjectsBuilder {
    id: StringBuilder,
    path: StringBuilder,
    table_index: Int32Builder,
    form: StringBuilder,
    title: StringBuilder,
    region: StringBuilder,
    unit: StringBuilder,
    department: StringBuilder,
    name: StringBuilder,
    midterm: Decimal128Builder,
    annual: Decimal128Builder,
    start: Int32Builder,
    end: Int32Builder,
    midterm_goal: StringBuilder,
    annual_goal: StringBuilder,
    opinion: StringBuilder,
    indicators: Int32Builder,
    confidence: Float64Builder,
    notes: ListBuilder<StringBuilder>,
    score: Int32Builder,
    flags: ListBuilder<StringBuilder>,
    n: usize,
}

impl Default for ProjectsBuilder {
    fn default() -> Self {
        ProjectsBuilder {
            id: StringBuilder::new(),
            path: StringBuilder::new(),
            table_index: Int32Builder::new(),
            form: StringBuilder::new(),
            title: StringBuilder::new(),
            region: StringBuilder::new(),
            unit: StringBuilder::new(),
            department: StringBuilder::new(),
            name: StringBuilder::new(),
            midterm: money_builder(),
            annual: money_builder(),
            start: Int32Builder::new(),
            end: Int32Builder::new(),
            midterm_goal: StringBuilder::new(),
            annual_goal: StringBuilder::new(),
            opinion: StringBuilder::new(),
            indicators: Int32Builder::new(),
            confidence: Float64Builder::new(),
            notes: ListBuilder::new(StringBuilder::new()),
            score: Int32Builder::new(),
            flags: ListBuilder::new(StringBuilder::new()),
            n: 0,
        }
    }
}

impl Rows for ProjectsBuilder {
    type Row = ProjectRow;
    fn push(&mut self, r: &ProjectRow) {
        self.id.append_value(&r.project_id);
        self.path.append_value(&r.path);
        self.table_index.append_value(r.table_index);
        self.form.append_value(&r.form);
        self.title.append_option(r.title.as_deref());
        self.region.append_option(r.region.as_deref());
        self.unit.append_option(r.budget_unit.as_deref());
        self.department.append_option(r.department.as_deref());
        self.name.append_option(r.project_name.as_deref());
        self.midterm.append_option(money(r.midterm_budget_yuan));
        self.annual.append_option(money(r.annual_budget_yuan));
        self.start.append_option(r.midterm_start_year);
        self.end.append_option(r.midterm_end_year);
        self.midterm_goal.append_option(r.midterm_goal.as_deref());
        self.annual_goal.append_option(r.annual_goal.as_deref());
        self.opinion.append_option(r.approval_opinion.as_deref());
        self.indicators.append_value(r.indicators);
        self.confidence.append_value(r.parse_confidence);
        push_list(&mut self.notes, &r.parse_notes);
        self.score.append_option(r.quality_score);
        push_list(&mut self.flags, &r.quality_flags);
        self.n += 1;
    }
    fn len(&self) -> usize {
        self.n
    }
    fn finish(&mut self) -> RecordBatch {
        self.n = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.table_index.finish()),
            Arc::new(self.form.finish()),
            Arc::new(self.title.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.unit.finish()),
            Arc::new(self.department.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.midterm.finish()),
            Arc::new(self.annual.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.midterm_goal.finish()),
            Arc::new(self.annual_goal.finish()),
            Arc::new(self.opinion.finish()),
            Arc::new(self.indicators.finish()),
            Arc::new(self.confidence.finish()),
            Arc::new(self.notes.finish()),
            Arc::new(self.score.finish()),
            Arc::new(self.flags.finish()),
        ];
        batch(&PROJECTS, cols)
    }
}

pub struct IndicatorsBuilder {
    id: StringBuilder,
    path: StringBuilder,
    horizon: StringBuilder,
    l1: StringBuilder,
    l2: StringBuilder,
    l3: StringBuilder,
    value: StringBuilder,
    row: Int32Builder,
    l1c: StringBuilder,
    l2c: StringBuilder,
    op: StringBuilder,
    number: Float64Builder,
    unit: StringBuilder,
    kind: StringBuilder,
    score: Int32Builder,
    flags: ListBuilder<StringBuilder>,
    n: usize,
}

impl Default for IndicatorsBuilder {
    fn default() -> Self {
        IndicatorsBuilder {
            id: StringBuilder::new(),
            path: StringBuilder::new(),
            horizon: StringBuilder::new(),
            l1: StringBuilder::new(),
            l2: StringBuilder::new(),
            l3: StringBuilder::new(),
            value: StringBuilder::new(),
            row: Int32Builder::new(),
            l1c: StringBuilder::new(),
            l2c: StringBuilder::new(),
            op: StringBuilder::new(),
            number: Float64Builder::new(),
            unit: StringBuilder::new(),
            kind: StringBuilder::new(),
            score: Int32Builder::new(),
            flags: ListBuilder::new(StringBuilder::new()),
            n: 0,
        }
    }
}

impl Rows for IndicatorsBuilder {
    type Row = IndicatorRow;
    fn push(&mut self, r: &IndicatorRow) {
        self.id.append_value(&r.project_id);
        self.path.append_value(&r.path);
        self.horizon.append_value(&r.horizon);
        self.l1.append_value(&r.level1);
        self.l2.append_value(&r.level2);
        self.l3.append_value(&r.level3);
        self.value.append_value(&r.value);
        self.row.append_value(r.row_index);
        self.l1c.append_value(&r.level1_code);
        self.l2c.append_value(&r.level2_code);
        self.op.append_option(r.value_op.as_deref());
        self.number.append_option(r.value_number);
        self.unit.append_option(r.value_unit.as_deref());
        self.kind.append_value(&r.value_kind);
        self.score.append_value(r.quality_score);
        push_list(&mut self.flags, &r.quality_flags);
        self.n += 1;
    }
    fn len(&self) -> usize {
        self.n
    }
    fn finish(&mut self) -> RecordBatch {
        self.n = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.horizon.finish()),
            Arc::new(self.l1.finish()),
            Arc::new(self.l2.finish()),
            Arc::new(self.l3.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.row.finish()),
            Arc::new(self.l1c.finish()),
            Arc::new(self.l2c.finish()),
            Arc::new(self.op.finish()),
            Arc::new(self.number.finish()),
            Arc::new(self.unit.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.score.finish()),
            Arc::new(self.flags.finish()),
        ];
        batch(&INDICATORS, cols)
    }
}

fn batch(schema: &SchemaRef, cols: Vec<ArrayRef>) -> RecordBatch {
    // The builders above are written against the schemas in this file; a mismatch is a bug
    // caught by the unit tests, not an input error.
    RecordBatch::try_new(schema.clone(), cols).expect("record builders match their schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_doc_lists_every_column() {
        let doc = include_str!("../docs/schema.md");
        for schema in [&*FILES, &*PROJECTS, &*INDICATORS] {
            for f in schema.fields() {
                assert!(doc.contains(&format!("`{}`", f.name())), "docs/schema.md lacks `{}`", f.name());
            }
        }
    }

    #[test]
    fn builders_match_schemas() {
        let mut p = ProjectsBuilder::default();
        p.push(&ProjectRow {
            year: 2020,
            project_id: "x".into(),
            path: "a.txt".into(),
            table_index: 0,
            form: "approval".into(),
            title: None,
            region: None,
            budget_unit: None,
            department: None,
            project_name: Some("p".into()),
            midterm_budget_yuan: Some(Decimal::new(1200000, 1)),
            annual_budget_yuan: None,
            midterm_start_year: None,
            midterm_end_year: None,
            midterm_goal: None,
            annual_goal: None,
            approval_opinion: None,
            indicators: 0,
            parse_confidence: 1.0,
            parse_notes: vec![],
            quality_score: None,
            quality_flags: vec!["A".into()],
        });
        let b = p.finish();
        assert_eq!(b.num_rows(), 1);
        let col = b.column(9).as_any().downcast_ref::<arrow::array::Decimal128Array>().unwrap();
        assert_eq!(col.value_as_string(0), "120000.00");
        assert_eq!(FilesBuilder::default().finish().num_columns(), FILES.fields().len());
        assert_eq!(IndicatorsBuilder::default().finish().num_columns(), INDICATORS.fields().len());
    }
}
