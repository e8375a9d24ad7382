//! The recording: every refresh appended to a compressed, indexed store,
//! so an incident can be replayed afterwards in the same dashboard.
//!
//! Layout: `<data dir>/recordings/<profile>/<YYYY-MM-DD>.redeye`, one file
//! per local day, each with an index beside it (`.idx`). A file starts with
//! [`MAGIC`] and the format version; then frames, each
//! `len u32 · crc32 u32 · at_ms u64 · zstd(CBOR(Frame))`. The index holds
//! `at_ms u64 · offset u64 · len u32 · crc u32` per frame: a replay reaches
//! any time by binary search, not a scan. A half-written last frame (a
//! crash) fails its length or CRC check and is skipped, never fatal; an
//! index that is missing or shorter than its file is rebuilt by a scan.
//! An exported slice is one self-contained file: its frames, then the index
//! and a trailer ([`TRAILER`]).
//!
//! Frames are CBOR (self-describing) with the snapshot schema version, so a
//! recording made by an older redeye still opens: fields it lacks take their
//! defaults. Stream entry payloads and DLQ bodies are left out unless the
//! profile says `record.payloads: true`; passwords are never in a snapshot.

mod store;

pub use store::{Frame, Recorder, Recording, retain, size, strip_payloads};

/// The first bytes of a recording file.
pub const MAGIC: &[u8; 10] = b"REDEYE-REC";
/// The file format's version (the frame layout, not the snapshot schema).
pub const FORMAT: u16 = 1;
/// The last bytes of an exported, self-contained file: its index precedes.
pub const TRAILER: &[u8; 10] = b"REDEYE-END";
