//! What the plugin and the operator both compute about etcd snapshots: their checksums and
//! etcd's own integrity hash, and which member to take a snapshot from. Pure: bytes go in,
//! facts come out.
//!
//! A snapshot taken through etcd's maintenance API (`Snapshot` RPC, what `etcdctl snapshot
//! save` uses) is the bbolt database followed by the SHA-256 of that database: 32 bytes,
//! which `etcdutl snapshot restore` checks. The database is a whole number of 4 KiB pages, so
//! a file carries the hash exactly when its size is 32 bytes past a multiple of 512, the test
//! etcd itself applies.

use sha2::{Digest as _, Sha256};

/// Length of etcd's appended hash.
pub const ETCD_HASH_LEN: usize = 32;

/// Whether a snapshot's appended hash matches its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EtcdHash {
    /// The last 32 bytes are the SHA-256 of everything before them.
    Valid,
    /// The file has the size of a hashed snapshot, but the hash does not match: the file is
    /// damaged.
    Mismatch,
    /// The file has no appended hash (not taken through the Snapshot API, or cut short).
    Missing,
}

/// The facts about a snapshot file once all of it was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotDigest {
    /// SHA-256 of the whole file, 64 lowercase hex digits.
    pub sha256: String,
    /// Size of the whole file in bytes.
    pub size: u64,
    /// What etcd's appended hash says.
    pub etcd_hash: EtcdHash,
}

impl SnapshotDigest {
    /// A sentence for a person when the snapshot is unusable, `None` when it is sound and,
    /// if `expected_sha256` is given, has that checksum.
    pub fn problem(&self, expected_sha256: Option<&str>) -> Option<String> {
        if let Some(expected) = expected_sha256
            && !expected.eq_ignore_ascii_case(&self.sha256)
        {
            return Some(format!(
                "the snapshot's SHA-256 is {} but {expected} was recorded when it was taken: the file was \
                 changed or damaged",
                self.sha256
            ));
        }
        match self.etcd_hash {
            EtcdHash::Valid => None,
            EtcdHash::Mismatch => Some(format!(
                "etcd's integrity hash at the end of the snapshot ({} bytes) does not match its contents: \
                 the file is damaged",
                self.size
            )),
            EtcdHash::Missing => Some(format!(
                "the snapshot ({} bytes) does not end with etcd's integrity hash: it is cut short or was \
                 not taken with etcd's snapshot API",
                self.size
            )),
        }
    }
}

/// Computes a [`SnapshotDigest`] over a snapshot fed in pieces, holding only 32 bytes of it
/// back (the candidate hash), so snapshots of any size stream through.
///
/// One SHA-256 pass gives both hashes: every byte but the last 32 goes into the database's
/// hash, and the whole file's hash is that state continued with the last 32 bytes.
#[derive(Clone, Default)]
pub struct SnapshotHasher {
    database: Sha256,
    /// The last bytes seen, up to 32: they may be the appended hash.
    tail: Vec<u8>,
    size: u64,
}

impl SnapshotHasher {
    /// A hasher that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next piece of the file.
    pub fn update(&mut self, piece: &[u8]) {
        self.size += piece.len() as u64;
        if piece.len() >= ETCD_HASH_LEN {
            // Everything held back and all of this piece but its last 32 bytes are database.
            let (database, tail) = piece.split_at(piece.len() - ETCD_HASH_LEN);
            self.database.update(&self.tail);
            self.database.update(database);
            self.tail.clear();
            self.tail.extend_from_slice(tail);
            return;
        }
        self.tail.extend_from_slice(piece);
        if self.tail.len() > ETCD_HASH_LEN {
            let spill = self.tail.len() - ETCD_HASH_LEN;
            self.database.update(&self.tail[..spill]);
            self.tail.drain(..spill);
        }
    }

    /// Bytes seen so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest of everything fed.
    pub fn finish(self) -> SnapshotDigest {
        let mut whole = self.database.clone();
        whole.update(&self.tail);
        let has_hash = self.size >= ETCD_HASH_LEN as u64 && self.size % 512 == ETCD_HASH_LEN as u64;
        let etcd_hash = if !has_hash {
            EtcdHash::Missing
        } else if self.database.finalize().as_slice() == self.tail.as_slice() {
            EtcdHash::Valid
        } else {
            EtcdHash::Mismatch
        };
        SnapshotDigest { sha256: hex(whole.finalize().as_slice()), size: self.size, etcd_hash }
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A member a snapshot could be taken from, as its status call answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotSource {
    /// Member name.
    pub member: String,
    /// Its client URL.
    pub url: String,
    /// The store revision it has applied.
    pub revision: i64,
    /// Its raft applied index.
    pub applied_index: u64,
    /// The etcd version it runs.
    pub version: String,
    /// It is a learner (a learner cannot serve a snapshot).
    pub learner: bool,
}

/// The member to take a snapshot from: the voting member with the highest revision (then the
/// highest applied index), so the snapshot is the newest any member can give. Ties go to the
/// first by name, so the choice is stable.
pub fn choose_source(candidates: &[SnapshotSource]) -> Option<&SnapshotSource> {
    candidates.iter().filter(|c| !c.learner).min_by(|a, b| {
        (b.revision, b.applied_index)
            .cmp(&(a.revision, a.applied_index))
            .then_with(|| a.member.cmp(&b.member))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake "database" of `pages` 4 KiB pages, followed by its hash when `hashed`.
    fn snapshot(pages: usize, hashed: bool) -> Vec<u8> {
        let mut db: Vec<u8> = (0..pages * 4096).map(|i| (i * 7 % 251) as u8).collect();
        if hashed {
            let hash = Sha256::digest(&db);
            db.extend_from_slice(hash.as_slice());
        }
        db
    }

    fn digest_in_pieces(bytes: &[u8], piece: usize) -> SnapshotDigest {
        let mut hasher = SnapshotHasher::new();
        for chunk in bytes.chunks(piece) {
            hasher.update(chunk);
        }
        hasher.finish()
    }

    #[test]
    fn a_sound_snapshot_is_valid_whatever_the_piece_size() {
        let file = snapshot(5, true);
        let whole = hex(Sha256::digest(&file).as_slice());
        for piece in [1, 7, 31, 32, 33, 512, 4096, 100_000] {
            let digest = digest_in_pieces(&file, piece);
            assert_eq!(digest.etcd_hash, EtcdHash::Valid, "piece {piece}");
            assert_eq!(digest.sha256, whole);
            assert_eq!(digest.size, file.len() as u64);
            assert_eq!(digest.problem(Some(&whole)), None);
            assert_eq!(digest.problem(None), None);
        }
    }

    #[test]
    fn pieces_of_mixed_sizes_give_the_same_digest() {
        let file = snapshot(5, true);
        let whole = hex(Sha256::digest(&file).as_slice());
        // Short pieces (held back whole) between long ones (which flush what is held).
        for sizes in [&[3, 40, 1, 31, 5000, 2, 33][..], &[32, 1, 32, 64, 7], &[4096, 20, 20, 20]] {
            let mut hasher = SnapshotHasher::new();
            let mut rest = &file[..];
            for size in sizes.iter().cycle() {
                let (piece, after) = rest.split_at((*size).min(rest.len()));
                hasher.update(piece);
                rest = after;
                if rest.is_empty() {
                    break;
                }
            }
            let digest = hasher.finish();
            assert_eq!(
                (digest.etcd_hash, digest.sha256.as_str()),
                (EtcdHash::Valid, whole.as_str()),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn one_flipped_byte_anywhere_is_found() {
        let file = snapshot(3, true);
        for at in [0, 4096, file.len() - 33, file.len() - 32, file.len() - 1] {
            let mut damaged = file.clone();
            damaged[at] ^= 0x01;
            let digest = digest_in_pieces(&damaged, 1000);
            assert_eq!(digest.etcd_hash, EtcdHash::Mismatch, "flipped at {at}");
            assert!(digest.problem(None).is_some_and(|p| p.contains("damaged")));
        }
    }

    #[test]
    fn a_cut_file_or_a_plain_database_has_no_hash() {
        let file = snapshot(3, true);
        assert_eq!(digest_in_pieces(&file[..file.len() - 1], 100).etcd_hash, EtcdHash::Missing);
        assert_eq!(digest_in_pieces(&snapshot(3, false), 100).etcd_hash, EtcdHash::Missing);
        assert_eq!(digest_in_pieces(&[], 100).etcd_hash, EtcdHash::Missing);
        let digest = digest_in_pieces(&file[..4096], 100);
        assert!(digest.problem(None).is_some_and(|p| p.contains("cut short")));
    }

    #[test]
    fn a_recorded_checksum_must_match() {
        let file = snapshot(2, true);
        let digest = digest_in_pieces(&file, 4096);
        let other = "0".repeat(64);
        let problem = digest.problem(Some(&other)).unwrap_or_default();
        assert!(problem.contains(&other) && problem.contains(&digest.sha256), "{problem}");
        assert_eq!(digest.problem(Some(&digest.sha256.to_uppercase())), None);
    }

    fn source(member: &str, revision: i64, applied_index: u64, learner: bool) -> SnapshotSource {
        SnapshotSource {
            member: member.into(),
            url: format!("http://{member}:2379"),
            revision,
            applied_index,
            version: "3.5.1".into(),
            learner,
        }
    }

    #[test]
    fn the_newest_voting_member_is_chosen() {
        let candidates = [
            source("demo-0", 10, 20, false),
            source("demo-1", 12, 21, false),
            source("demo-2", 99, 99, true),
            source("demo-3", 12, 25, false),
        ];
        assert_eq!(choose_source(&candidates).map(|c| c.member.as_str()), Some("demo-3"));
        let tied = [source("demo-2", 5, 5, false), source("demo-1", 5, 5, false)];
        assert_eq!(choose_source(&tied).map(|c| c.member.as_str()), Some("demo-1"));
        assert_eq!(choose_source(&[source("demo-0", 1, 1, true)]), None);
        assert_eq!(choose_source(&[]), None);
    }
}
