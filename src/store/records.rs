//! Stage records: the Arrow schemas of the three datasets and the builders that fill them.
//!
//! Each dataset is declared once, in [`dataset!`]: a column's name, its Rust type and its Arrow
//! type come from one line, and the row struct, the schema and the builder follow from it.
//! `year` is not a column: it lives only in the Hive partition path (`year=2020/`), because
//! pyarrow and pandas fail on a column that is both in the file and in the path.
//! Counts are Int64, never UInt64: Spark reads an unsigned 64-bit column as decimal(20,0).
//! docs/schema.md documents every column; the `schema_doc_lists_every_column` test keeps the two in step.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    PrimitiveBuilder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{ArrowPrimitiveType, DataType, Field, Schema, SchemaRef};
use compact_str::CompactString;
use rust_decimal::Decimal;

/// Money: decimal(18,2) in yuan, exact to the fen.
pub const MONEY: DataType = DataType::Decimal128(18, 2);

/// A Rust value that has one Arrow column type: how it is typed, built and appended.
pub trait Column {
    type Builder: ArrayBuilder;
    fn data_type() -> DataType;
    fn nullable() -> bool {
        false
    }
    fn builder() -> Self::Builder;
    /// A builder with room for `rows` rows, so the batch it closes is about the size of what
    /// it holds.
    fn builder_for(rows: usize) -> Self::Builder;
    fn append(&self, b: &mut Self::Builder);
}

/// Bytes a row's text is given when a builder is made for a number of rows: about a label's.
const TEXT_BYTES: usize = 16;

/// An Arrow builder made for a number of rows (its `with_capacity`, which differs per builder).
trait ForRows {
    fn for_rows(rows: usize) -> Self;
}

impl ForRows for StringBuilder {
    fn for_rows(rows: usize) -> Self {
        StringBuilder::with_capacity(rows, rows * TEXT_BYTES)
    }
}

impl<T: ArrowPrimitiveType> ForRows for PrimitiveBuilder<T> {
    fn for_rows(rows: usize) -> Self {
        PrimitiveBuilder::with_capacity(rows)
    }
}

impl ForRows for BooleanBuilder {
    fn for_rows(rows: usize) -> Self {
        BooleanBuilder::with_capacity(rows)
    }
}

macro_rules! column {
    ($t:ty, $builder:ty, $dt:expr, $nullable:expr, |$v:ident, $b:ident| $append:expr) => {
        impl Column for $t {
            type Builder = $builder;
            fn data_type() -> DataType {
                $dt
            }
            fn nullable() -> bool {
                $nullable
            }
            fn builder() -> $builder {
                <$builder>::new()
            }
            fn builder_for(rows: usize) -> $builder {
                <$builder as ForRows>::for_rows(rows)
            }
            fn append(&self, $b: &mut $builder) {
                let $v = self;
                $append
            }
        }
    };
}

column!(String, StringBuilder, DataType::Utf8, false, |v, b| b.append_value(v));
// A code from a fixed list (horizon, level codes, value kind) or a text every row of a table
// repeats (project id, path): appended from where it is, not copied into a String per row.
column!(&'static str, StringBuilder, DataType::Utf8, false, |v, b| b.append_value(v));
column!(Option<&'static str>, StringBuilder, DataType::Utf8, true, |v, b| b.append_option(*v));
column!(Arc<str>, StringBuilder, DataType::Utf8, false, |v, b| b.append_value(&**v));
// An indicator's labels, value and unit: a few chars each, moved in from where they were read.
column!(CompactString, StringBuilder, DataType::Utf8, false, |v, b| b.append_value(v));
column!(Option<CompactString>, StringBuilder, DataType::Utf8, true, |v, b| b.append_option(v.as_deref()));
column!(Option<String>, StringBuilder, DataType::Utf8, true, |v, b| b.append_option(v.as_deref()));
column!(i64, Int64Builder, DataType::Int64, false, |v, b| b.append_value(*v));
column!(i32, Int32Builder, DataType::Int32, false, |v, b| b.append_value(*v));
column!(Option<i32>, Int32Builder, DataType::Int32, true, |v, b| b.append_option(*v));
column!(Option<bool>, BooleanBuilder, DataType::Boolean, true, |v, b| b.append_option(*v));
column!(f64, Float64Builder, DataType::Float64, false, |v, b| b.append_value(*v));
column!(Option<f64>, Float64Builder, DataType::Float64, true, |v, b| b.append_option(*v));
column!(Status, StringBuilder, DataType::Utf8, false, |v, b| b.append_value(v.as_str()));

impl<S: AsRef<str>> Column for Vec<S> {
    type Builder = ListBuilder<StringBuilder>;
    fn data_type() -> DataType {
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
    }
    fn builder() -> Self::Builder {
        ListBuilder::new(StringBuilder::new())
    }
    fn builder_for(rows: usize) -> Self::Builder {
        ListBuilder::with_capacity(StringBuilder::for_rows(rows), rows)
    }
    fn append(&self, b: &mut Self::Builder) {
        for i in self {
            b.values().append_value(i);
        }
        b.append(true);
    }
}

impl Column for Option<Decimal> {
    type Builder = Decimal128Builder;
    fn data_type() -> DataType {
        MONEY
    }
    fn nullable() -> bool {
        true
    }
    fn builder() -> Decimal128Builder {
        Decimal128Builder::new().with_data_type(MONEY)
    }
    fn builder_for(rows: usize) -> Decimal128Builder {
        Decimal128Builder::with_capacity(rows).with_data_type(MONEY)
    }
    fn append(&self, b: &mut Decimal128Builder) {
        b.append_option(self.and_then(money_mantissa));
    }
}

/// The decimal(18,2) mantissa of an amount, or None when it does not fit: the form stage
/// already rejects such amounts with a reason, and this keeps a wrapped or out-of-range value
/// from ever reaching a file (Parquet readers would show it as a different number).
pub fn money_mantissa(d: Decimal) -> Option<i128> {
    const LIMIT: i128 = 1_000_000_000_000_000_000; // 10^18: 18 digits at scale 2
    let mut d = d.round_dp(2);
    d.rescale(2);
    (d.scale() == 2 && d.mantissa().abs() < LIMIT).then(|| d.mantissa())
}

/// Column builders of one dataset; rows go in, a record batch comes out.
pub trait Rows: Default {
    type Row;
    fn push(&mut self, row: &Self::Row);
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn finish(&mut self) -> RecordBatch;
}

/// Declares a dataset: its row struct (with fields that are not columns, such as the
/// partition `year`, listed first), its schema and its builder.
macro_rules! dataset {
    (
        $(#[$meta:meta])*
        $schema:ident, $row:ident, $builder:ident,
        partition { $($pname:ident : $pty:ty),* $(,)? }
        columns { $($(#[$cmeta:meta])* $name:ident : $ty:ty),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $row {
            $(pub $pname: $pty,)*
            $($(#[$cmeta])* pub $name: $ty,)+
        }

        pub static $schema: LazyLock<SchemaRef> = LazyLock::new(|| {
            Arc::new(Schema::new(vec![
                $(Field::new(stringify!($name), <$ty as Column>::data_type(), <$ty as Column>::nullable()),)+
            ]))
        });

        pub struct $builder {
            $($name: <$ty as Column>::Builder,)+
            rows: usize,
        }

        impl Default for $builder {
            fn default() -> Self {
                $builder { $($name: <$ty as Column>::builder(),)+ rows: 0 }
            }
        }

        impl $builder {
            /// A builder with room for `rows` rows.
            pub fn for_rows(rows: usize) -> Self {
                $builder { $($name: <$ty as Column>::builder_for(rows),)+ rows: 0 }
            }
        }

        impl Rows for $builder {
            type Row = $row;
            fn push(&mut self, r: &$row) {
                $(Column::append(&r.$name, &mut self.$name);)+
                self.rows += 1;
            }
            fn len(&self) -> usize {
                self.rows
            }
            fn finish(&mut self) -> RecordBatch {
                self.rows = 0;
                let cols: Vec<ArrayRef> = vec![$(ArrayBuilder::finish(&mut self.$name),)+];
                // The columns come from the same declaration as the schema; a mismatch is a
                // bug the unit tests catch, not an input error.
                RecordBatch::try_new($schema.clone(), cols).expect("record builders match their schema")
            }
        }
    };
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

dataset! {
    /// One input file: what was detected, what was read, and its status.
    FILES, FileRow, FilesBuilder,
    partition {}
    columns {
        path: String,
        size_bytes: i64,
        mtime_ns: i64,
        content_hash: Option<String>,
        encoding: Option<String>,
        had_bom: Option<bool>,
        decode_errors: i64,
        layout: Option<String>,
        tables: i32,
        status: Status,
        error: Option<String>,
    }
}

dataset! {
    /// One table (a project's disclosure).
    PROJECTS, ProjectRow, ProjectsBuilder,
    partition { year: i32 }
    columns {
        project_id: String,
        path: String,
        table_index: i32,
        table_fingerprint: String,
        form: &'static str,
        title: Option<String>,
        region: Option<String>,
        budget_unit: Option<String>,
        department: Option<String>,
        project_name: Option<String>,
        midterm_budget_yuan: Option<Decimal>,
        annual_budget_yuan: Option<Decimal>,
        midterm_start_year: Option<i32>,
        midterm_end_year: Option<i32>,
        midterm_goal: Option<String>,
        annual_goal: Option<String>,
        approval_opinion: Option<String>,
        indicators: i32,
        parse_confidence: f64,
        parse_notes: Vec<String>,
        quality_score: Option<i32>,
        quality_flags: Vec<&'static str>,
    }
}

dataset! {
    /// One indicator row of a table, on one horizon (mid-term or annual).
    INDICATORS, IndicatorRow, IndicatorsBuilder,
    partition { year: i32 }
    columns {
        project_id: Arc<str>,
        path: Arc<str>,
        horizon: &'static str,
        level1: CompactString,
        level2: CompactString,
        level3: String,
        value: CompactString,
        row_index: i32,
        level1_code: &'static str,
        level2_code: &'static str,
        value_op: Option<&'static str>,
        value_number: Option<f64>,
        value_unit: Option<CompactString>,
        value_kind: &'static str,
        quality_score: i32,
        quality_flags: Vec<&'static str>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_doc_lists_every_column() {
        let doc = include_str!("../../docs/schema.md");
        for schema in [&*FILES, &*PROJECTS, &*INDICATORS] {
            for f in schema.fields() {
                assert!(doc.contains(&format!("`{}`", f.name())), "docs/schema.md lacks `{}`", f.name());
            }
        }
    }

    #[test]
    fn money_beyond_decimal_18_2_is_never_written() {
        assert_eq!(money_mantissa(Decimal::new(999_999_999_999_999_999, 2)), Some(999_999_999_999_999_999));
        assert_eq!(money_mantissa(Decimal::new(1_000_000_000_000_000_000, 2)), None);
        assert_eq!(money_mantissa(Decimal::from_i128_with_scale(10i128.pow(26), 0)), None);
        assert_eq!(money_mantissa(Decimal::new(-125, 1)), Some(-1250));
    }

    #[test]
    fn builders_match_schemas() {
        let mut p = ProjectsBuilder::default();
        p.push(&ProjectRow {
            year: 2020,
            project_id: "x".into(),
            path: "a.txt".into(),
            table_index: 0,
            table_fingerprint: "f".into(),
            form: "approval",
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
            quality_flags: vec!["A"],
        });
        let b = p.finish();
        assert_eq!(b.num_rows(), 1);
        let col = b.column(10).as_any().downcast_ref::<arrow::array::Decimal128Array>().unwrap();
        assert_eq!(col.value_as_string(0), "120000.00");
        assert_eq!(FilesBuilder::default().finish().num_columns(), FILES.fields().len());
        assert_eq!(IndicatorsBuilder::default().finish().num_columns(), INDICATORS.fields().len());
        // Builders made for a number of rows build the same columns (a decimal keeps its scale).
        assert_eq!(FilesBuilder::for_rows(10).finish().schema(), *FILES);
        assert_eq!(ProjectsBuilder::for_rows(10).finish().schema(), *PROJECTS);
        assert_eq!(IndicatorsBuilder::for_rows(10).finish().schema(), *INDICATORS);
    }
}
