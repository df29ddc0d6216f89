//! Pipeline files, shard: which slice of the inputs one of N processes reads (`--shard i/N`).
//!
//! A file belongs to shard `blake3(relative path) mod N`: the same on every run and machine
//! (std's hasher is seeded per process), so each shard's state is its own stable slice of
//! `files` and the union of the N shards is exactly the unsharded run.

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count`; `0/1` is the whole input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a shard: write i/N with 0 <= i < N, e.g. 0/4 (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX/completions)"
)]
pub struct ShardError(pub String);

impl Shard {
    /// The whole input: what an unsharded run reads.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether the file at this relative path (as the walk names it) is this shard's.
    pub fn contains(&self, rel: &str) -> bool {
        self.count <= 1 || shard_of(rel, self.count) == self.index
    }

    pub fn is_all(&self) -> bool {
        self.count <= 1
    }
}

/// The shard of a relative path among `count`. Bytes 8..16 of the hash, so the shard is
/// independent of the sink's bucket (bytes 0..4): every shard still spreads over all buckets.
pub fn shard_of(rel: &str, count: u32) -> u32 {
    let h = blake3::hash(rel.as_bytes());
    let b = h.as_bytes();
    let n = u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
    (n % u64::from(count.max(1))) as u32
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError(s.to_string());
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl TryFrom<String> for Shard {
    type Error = ShardError;
    fn try_from(s: String) -> Result<Shard, ShardError> {
        s.parse()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_reject_out_of_range() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["8/8", "1/0", "x/2", "2", "-1/4", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard { index: 1, count: 4 }.to_string(), "1/4");
    }

    #[test]
    fn every_path_is_in_exactly_one_shard_and_the_hash_is_fixed() {
        let paths: Vec<String> = (0..200).map(|i| format!("东莞市/2020/unit_{i}/d.txt")).collect();
        for p in &paths {
            let owners = (0..4).filter(|&i| Shard { index: i, count: 4 }.contains(p)).count();
            assert_eq!(owners, 1, "{p}");
        }
        let sizes: Vec<usize> =
            (0..4).map(|i| paths.iter().filter(|p| Shard { index: i, count: 4 }.contains(p)).count()).collect();
        assert!(sizes.iter().all(|&n| n > 25), "uneven shards {sizes:?}");
        // Pinned: a change of hash would move files between shards of an existing table.
        assert_eq!(shard_of("a/b.txt", 1000), shard_of("a/b.txt", 1000));
        assert_eq!((0..8).map(|n| shard_of(&format!("f{n}"), 7)).collect::<Vec<_>>(), PINNED.to_vec());
    }

    const PINNED: [u32; 8] = [2, 3, 3, 0, 3, 4, 0, 5];
}
