//! Writing frames (a thread of its own: the UI loop only hands over an
//! `Arc`), reading them back by time, retention and export.

use super::{FORMAT, MAGIC, TRAILER};
use crate::error::{Failure, Result};
use crate::model::Snapshot;
use crate::model::alerts::{Alert, AlertLog};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What one refresh leaves in the recording.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Frame {
    /// The snapshot schema version it was written with.
    pub schema: u32,
    pub snapshot: Snapshot,
    /// The alerts on screen then, and the alert log up to then.
    pub alerts: Vec<Alert>,
    pub log: AlertLog,
}

const HEADER: usize = 12; // MAGIC + FORMAT
const FRAME_HEAD: usize = 16; // len + crc + at
const INDEX_ENTRY: usize = 24;

/// Where one frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    at_ms: u64,
    offset: u64,
    len: u32,
    crc: u32,
}

impl Entry {
    fn bytes(&self) -> [u8; INDEX_ENTRY] {
        let mut b = [0u8; INDEX_ENTRY];
        b[..8].copy_from_slice(&self.at_ms.to_le_bytes());
        b[8..16].copy_from_slice(&self.offset.to_le_bytes());
        b[16..20].copy_from_slice(&self.len.to_le_bytes());
        b[20..24].copy_from_slice(&self.crc.to_le_bytes());
        b
    }

    fn parse(b: &[u8]) -> Entry {
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Entry {
            at_ms: u64_at(0),
            offset: u64_at(8),
            len: u32_at(16),
            crc: u32_at(20),
        }
    }
}

/// Leave out what may be customer data: DLQ entry bodies (the DLQ's own
/// metadata fields stay), slow commands' arguments after the key.
pub fn strip_payloads(s: &mut Snapshot) {
    if let Some(p) = &mut s.dlq_page {
        for e in &mut p.entries {
            e.fields
                .retain(|(k, _)| crate::model::dlq::FIELDS.contains(&k.as_str_lossy().as_ref()));
        }
    }
    if let Some(sl) = &mut s.slowlog {
        for e in &mut sl.entries {
            if e.args.len() > 2 {
                let more = e.args.len() - 2;
                e.args.truncate(2);
                e.args
                    .push(crate::model::Bytes(format!("…{more} more").into_bytes()));
            }
        }
    }
}

fn encode(frame: &Frame) -> Result<Vec<u8>> {
    let mut cbor = Vec::new();
    ciborium::into_writer(frame, &mut cbor)
        .map_err(|e| Failure::runtime(format!("cannot encode a recording frame: {e}")))?;
    zstd::encode_all(cbor.as_slice(), 3)
        .map_err(|e| Failure::runtime(format!("cannot compress a recording frame: {e}")))
}

fn decode(bytes: &[u8]) -> Result<Frame> {
    let cbor = zstd::decode_all(bytes)
        .map_err(|e| Failure::runtime(format!("a recording frame does not decompress: {e}")))?;
    ciborium::from_reader(cbor.as_slice())
        .map_err(|e| Failure::runtime(format!("a recording frame does not decode: {e}")))
}

fn io(path: &Path, what: &str, e: std::io::Error) -> Failure {
    Failure::runtime(format!("cannot {what} {}: {e}", path.display()))
}

/// The local date of `ms` as `YYYY-MM-DD` (the recording's file per day).
fn day(ms: u64) -> String {
    crate::time::date(ms)
}

/// Appends frames to a directory's day files, with retention.
struct Writer {
    dir: PathBuf,
    keep: Duration,
    max_bytes: u64,
    open: Option<(String, File, File, u64)>,
}

impl Writer {
    /// Today's file, locked for this recorder (`flock`): `<day>.redeye`, or,
    /// when another recorder of the profile holds it (a second dashboard on
    /// the bastion), `<day>.<host>-<pid>.redeye` of its own. Replay and
    /// export merge the files by time; writes never interleave in one file.
    fn own_file(&self, today: &str) -> Result<(PathBuf, File)> {
        let open = |path: &Path| {
            crate::private::append_read(path).map_err(|e| io(path, "open the recording", e))
        };
        let shared = self.dir.join(format!("{today}.redeye"));
        let file = open(&shared)?;
        match file.try_lock() {
            Ok(()) => Ok((shared, file)),
            Err(std::fs::TryLockError::WouldBlock) => {
                let name = format!(
                    "{today}.{}-{}.redeye",
                    crate::ops::audit::host().replace(['.', '/'], "-"),
                    std::process::id()
                );
                let own = self.dir.join(name);
                let file = open(&own)?;
                // Ours alone; locked so a later recorder does not take it.
                let _ = file.try_lock();
                Ok((own, file))
            }
            // A filesystem without locks: write as before.
            Err(std::fs::TryLockError::Error(_)) => Ok((shared, file)),
        }
    }

    fn append(&mut self, at_ms: u64, payload: &[u8]) -> Result<()> {
        let today = day(at_ms);
        if self.open.as_ref().is_none_or(|(d, ..)| *d != today) {
            let (path, mut data) = self.own_file(&today)?;
            let mut size = data.metadata().map(|m| m.len()).unwrap_or(0);
            if size == 0 {
                data.write_all(MAGIC)
                    .and_then(|_| data.write_all(&FORMAT.to_le_bytes()))
                    .map_err(|e| io(&path, "write", e))?;
                size = HEADER as u64;
            }
            let idx_path = path.with_extension("idx");
            let index = crate::private::append(&idx_path)
                .map_err(|e| io(&idx_path, "open the recording index", e))?;
            self.open = Some((today, data, index, size));
            self.retain(at_ms);
        }
        let (_, data, index, size) = self.open.as_mut().expect("opened above");
        let crc = crc32fast::hash(payload);
        let mut head = [0u8; FRAME_HEAD];
        head[..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        head[4..8].copy_from_slice(&crc.to_le_bytes());
        head[8..16].copy_from_slice(&at_ms.to_le_bytes());
        data.write_all(&head)
            .and_then(|_| data.write_all(payload))
            .map_err(|e| Failure::runtime(format!("cannot write the recording: {e}")))?;
        let entry = Entry {
            at_ms,
            offset: *size,
            len: payload.len() as u32,
            crc,
        };
        *size += (FRAME_HEAD + payload.len()) as u64;
        index
            .write_all(&entry.bytes())
            .map_err(|e| Failure::runtime(format!("cannot write the recording index: {e}")))?;
        Ok(())
    }

    /// Delete the oldest day files: older than `keep`, then while the
    /// directory holds more than `max_bytes`. Today's file is never deleted.
    fn retain(&self, now_ms: u64) {
        let _ = retain(&self.dir, now_ms, self.keep, self.max_bytes);
    }
}

/// Bytes of a recording: a file, or every file of a directory.
pub fn size(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}

/// Retention of a recording directory: oldest files first. Returns the files deleted.
pub fn retain(dir: &Path, now_ms: u64, keep: Duration, max_bytes: u64) -> Vec<PathBuf> {
    let today = day(now_ms);
    let oldest_kept = day(now_ms.saturating_sub(keep.as_millis() as u64));
    let mut days: Vec<(String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let d = name.strip_suffix(".redeye")?.to_string();
            let size = e.metadata().map(|m| m.len()).unwrap_or(0)
                + std::fs::metadata(dir.join(format!("{d}.idx")))
                    .map(|m| m.len())
                    .unwrap_or(0);
            Some((d, size))
        })
        .collect();
    days.sort();
    let mut total: u64 = days.iter().map(|(_, s)| s).sum();
    let mut deleted = Vec::new();
    for (d, size) in &days {
        // A second recorder's file (`<day>.<host>-<pid>`) is of its day.
        let of_day = d.split('.').next().unwrap_or(d);
        if of_day >= today.as_str() {
            break;
        }
        if of_day < oldest_kept.as_str() || total > max_bytes {
            for ext in ["redeye", "idx"] {
                let p = dir.join(format!("{d}.{ext}"));
                if std::fs::remove_file(&p).is_ok() && ext == "redeye" {
                    deleted.push(p);
                }
            }
            total = total.saturating_sub(*size);
        }
    }
    deleted
}

enum Msg {
    /// The snapshot as the UI has it: copied and stripped in the writer's
    /// thread, not in the UI loop.
    Frame(Arc<Snapshot>, Vec<Alert>, AlertLog),
    Flush(std::sync::mpsc::Sender<()>),
}

/// The recording side of the dashboard: frames go to a thread of its own.
pub struct Recorder {
    tx: std::sync::mpsc::Sender<Msg>,
    /// The last error the writer met (shown in the header), if any.
    pub error: Arc<std::sync::Mutex<Option<String>>>,
    pub dir: PathBuf,
}

impl Recorder {
    pub fn start(dir: PathBuf, keep: Duration, max_bytes: u64, payloads: bool) -> Result<Recorder> {
        crate::private::create_dir(&dir)
            .map_err(|e| io(&dir, "create the recording directory", e))?;
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        let error = Arc::new(std::sync::Mutex::new(None));
        let err = error.clone();
        let mut w = Writer {
            dir: dir.clone(),
            keep,
            max_bytes,
            open: None,
        };
        std::thread::Builder::new()
            .name("redeye-recorder".into())
            .spawn(move || {
                for msg in rx {
                    match msg {
                        Msg::Frame(snap, alerts, mut log) => {
                            let mut snapshot = (*snap).clone();
                            drop(snap);
                            if !payloads {
                                strip_payloads(&mut snapshot);
                            }
                            log.entries.truncate(200);
                            let f = Frame {
                                schema: crate::model::SCHEMA_VERSION,
                                snapshot,
                                alerts,
                                log,
                            };
                            let r = encode(&f).and_then(|p| w.append(f.snapshot.taken_at_ms, &p));
                            *err.lock().expect("recorder error lock") =
                                r.err().map(|e| e.to_string());
                        }
                        Msg::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            })
            .map_err(|e| Failure::runtime(format!("cannot start the recorder: {e}")))?;
        Ok(Recorder { tx, error, dir })
    }

    /// Hand a refresh over (an `Arc`, the alerts, the log's newest 200
    /// entries); the UI loop does nothing more.
    pub fn record(&self, snap: &Arc<Snapshot>, alerts: &[Alert], log: &AlertLog) {
        let log = AlertLog {
            entries: log.entries.iter().take(200).cloned().collect(),
        };
        let _ = self.tx.send(Msg::Frame(snap.clone(), alerts.to_vec(), log));
    }

    /// Wait until every frame handed over is written.
    pub fn flush(&self) {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv_timeout(Duration::from_secs(10));
        }
    }
}

impl Drop for Recorder {
    /// Quitting writes what was handed over (a crash leaves at most a
    /// half-written last frame, which replay skips).
    fn drop(&mut self) {
        self.flush();
    }
}

/// One recording file and where its frames are.
struct FileIndex {
    path: PathBuf,
    entries: Vec<Entry>,
    /// Damaged stretches its scan skipped (frames found past them).
    damaged: usize,
}

/// A recording to replay: one file, or a directory of day files.
pub struct Recording {
    files: Vec<FileIndex>,
    /// (file, entry) of every frame, in time order.
    order: Vec<(usize, usize)>,
}

/// The frame whose head is at `at` in `data`, if it is whole and its CRC
/// holds. Its time must be plausible first (within a day of `near`, the
/// last good frame's, or else between 2020 and 2100): a cheap test that
/// spares a CRC over garbage when looking for the next frame past damage.
fn frame_at(data: &[u8], at: usize, near: Option<u64>) -> Option<Entry> {
    let head = data.get(at..at.checked_add(FRAME_HEAD)?)?;
    let len = u32::from_le_bytes(head[..4].try_into().expect("4")) as usize;
    let crc = u32::from_le_bytes(head[4..8].try_into().expect("4"));
    let ms = u64::from_le_bytes(head[8..16].try_into().expect("8"));
    let plausible = match near {
        Some(t) => ms.abs_diff(t) <= 86_400_000,
        None => (1_577_836_800_000..4_102_444_800_000).contains(&ms),
    };
    if !plausible {
        return None;
    }
    let body = data.get(at + FRAME_HEAD..(at + FRAME_HEAD).checked_add(len)?)?;
    (crc32fast::hash(body) == crc).then_some(Entry {
        at_ms: ms,
        offset: at as u64,
        len: len as u32,
        crc,
    })
}

/// Frames of `data` from `from` on, by their heads: each whole and with a
/// good CRC. Past a damaged stretch (a flipped bit, a torn or interleaved
/// write) the next intact frame is looked for byte by byte and the stretch
/// is counted as one damaged frame; a half-written end is just the end.
/// Returns the frames and the damaged stretches skipped.
fn scan(data: &[u8], from: usize) -> (Vec<Entry>, usize) {
    let mut out: Vec<Entry> = Vec::new();
    let mut damaged = 0;
    let mut at = from;
    while at + FRAME_HEAD <= data.len() {
        let near = out.last().map(|e| e.at_ms);
        if let Some(e) = frame_at(data, at, near) {
            at += FRAME_HEAD + e.len as usize;
            out.push(e);
            continue;
        }
        match (at + 1..data.len()).find_map(|p| frame_at(data, p, near)) {
            Some(e) => {
                damaged += 1;
                at = e.offset as usize;
            }
            None => break,
        }
    }
    (out, damaged)
}

fn index_file(path: &Path) -> Result<FileIndex> {
    let mut f = File::open(path).map_err(|e| io(path, "open the recording", e))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = [0u8; HEADER];
    if f.read_exact(&mut head).is_err() || &head[..10] != MAGIC {
        return Err(Failure::config(format!(
            "{} is not a redeye recording (no REDEYE-REC header)",
            path.display()
        )));
    }
    let format = u16::from_le_bytes([head[10], head[11]]);
    if format > FORMAT {
        return Err(Failure::config(format!(
            "{} was written by a newer redeye (recording format {format}, this one reads up to {FORMAT}); update redeye",
            path.display()
        )));
    }
    // An exported file: its index is at the end.
    if size >= (HEADER + 18) as u64 {
        let mut tail = [0u8; 18];
        f.seek(SeekFrom::End(-18))
            .and_then(|_| f.read_exact(&mut tail))
            .map_err(|e| io(path, "read", e))?;
        if &tail[8..] == TRAILER {
            let at = u64::from_le_bytes(tail[..8].try_into().expect("8"));
            let n = (size - 18).saturating_sub(at) as usize / INDEX_ENTRY;
            let mut buf = vec![0u8; n * INDEX_ENTRY];
            f.seek(SeekFrom::Start(at))
                .and_then(|_| f.read_exact(&mut buf))
                .map_err(|e| io(path, "read the index of", e))?;
            let entries = buf.chunks(INDEX_ENTRY).map(Entry::parse).collect();
            return Ok(FileIndex {
                path: path.to_path_buf(),
                entries,
                damaged: 0,
            });
        }
    }
    // A day file: the index beside it, checked against the file; the frames
    // after its last entry (or all, without one) are found by a scan.
    let idx = std::fs::read(path.with_extension("idx")).unwrap_or_default();
    let mut entries: Vec<Entry> = idx
        .chunks_exact(INDEX_ENTRY)
        .map(Entry::parse)
        .take_while(|e| e.offset + FRAME_HEAD as u64 + u64::from(e.len) <= size)
        .collect();
    let mut damaged = 0;
    let next = entries
        .last()
        .map(|e| (e.offset + FRAME_HEAD as u64 + u64::from(e.len)) as usize)
        .unwrap_or(HEADER);
    if (next as u64) < size {
        let mut data = Vec::new();
        f.seek(SeekFrom::Start(0))
            .and_then(|_| f.read_to_end(&mut data))
            .map_err(|e| io(path, "read", e))?;
        let (found, skipped) = scan(&data, next);
        entries.extend(found);
        damaged = skipped;
    }
    Ok(FileIndex {
        path: path.to_path_buf(),
        entries,
        damaged,
    })
}

impl Recording {
    /// A file (`*.redeye`), or a directory of day files.
    pub fn open(path: &Path) -> Result<Recording> {
        let mut paths: Vec<PathBuf> = if path.is_dir() {
            std::fs::read_dir(path)
                .map_err(|e| io(path, "read", e))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "redeye"))
                .collect()
        } else if path.exists() {
            vec![path.to_path_buf()]
        } else {
            return Err(Failure::config(format!(
                "{} does not exist; record with `redeye --record` (or `record: true` in the profile) first",
                path.display()
            )));
        };
        paths.sort();
        let files: Vec<FileIndex> = paths.iter().map(|p| index_file(p)).collect::<Result<_>>()?;
        let mut order: Vec<(usize, usize)> = files
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| (0..f.entries.len()).map(move |ei| (fi, ei)))
            .collect();
        order.sort_by_key(|(fi, ei)| files[*fi].entries[*ei].at_ms);
        if order.is_empty() {
            return Err(Failure::config(format!(
                "{} holds no recorded refresh yet",
                path.display()
            )));
        }
        Ok(Recording { files, order })
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn entry(&self, i: usize) -> (&FileIndex, Entry) {
        let (fi, ei) = self.order[i];
        (&self.files[fi], self.files[fi].entries[ei])
    }

    /// When frame `i` was taken.
    pub fn time(&self, i: usize) -> u64 {
        self.entry(i).1.at_ms
    }

    pub fn first_ms(&self) -> u64 {
        self.time(0)
    }

    pub fn last_ms(&self) -> u64 {
        self.time(self.len() - 1)
    }

    /// The frame on screen at `at_ms`: the last one taken at or before it
    /// (the first one before the recording starts). Binary search.
    pub fn at(&self, at_ms: u64) -> usize {
        self.order
            .partition_point(|(fi, ei)| self.files[*fi].entries[*ei].at_ms <= at_ms)
            .saturating_sub(1)
    }

    /// The first frame taken at or after `at_ms` (`len()` if none).
    pub fn first_from(&self, at_ms: u64) -> usize {
        self.order
            .partition_point(|(fi, ei)| self.files[*fi].entries[*ei].at_ms < at_ms)
    }

    /// Damaged stretches skipped while finding the frames (more may show
    /// when a frame is read: `frame` then fails its CRC).
    pub fn damaged(&self) -> usize {
        self.files.iter().map(|f| f.damaged).sum()
    }

    /// The files of the recording, in the order they were opened.
    pub fn files(&self) -> Vec<(&Path, usize)> {
        self.files
            .iter()
            .map(|f| (f.path.as_path(), f.entries.len()))
            .collect()
    }

    /// Read frame `i` (one seek and one read).
    pub fn frame(&self, i: usize) -> Result<Frame> {
        let (file, e) = self.entry(i);
        let bytes = self.raw(file, e)?;
        decode(&bytes[FRAME_HEAD..])
    }

    fn raw(&self, file: &FileIndex, e: Entry) -> Result<Vec<u8>> {
        let mut f = File::open(&file.path).map_err(|err| io(&file.path, "open", err))?;
        let mut buf = vec![0u8; FRAME_HEAD + e.len as usize];
        f.seek(SeekFrom::Start(e.offset))
            .and_then(|_| f.read_exact(&mut buf))
            .map_err(|err| io(&file.path, "read a frame of", err))?;
        if crc32fast::hash(&buf[FRAME_HEAD..]) != e.crc {
            return Err(Failure::runtime(format!(
                "a frame of {} at offset {} fails its CRC check (the file changed or is damaged)",
                file.path.display(),
                e.offset
            )));
        }
        Ok(buf)
    }

    /// Write frames `from..=to` (by time) as one self-contained file; a
    /// frame that fails its CRC is left out. Returns (written, left out).
    pub fn export(&self, from_ms: u64, to_ms: u64, out: &Path) -> Result<(usize, usize)> {
        let tmp = out.with_extension("redeye.part");
        let mut f = crate::private::create(&tmp).map_err(|e| io(&tmp, "create", e))?;
        f.write_all(MAGIC)
            .and_then(|_| f.write_all(&FORMAT.to_le_bytes()))
            .map_err(|e| io(&tmp, "write", e))?;
        let mut offset = HEADER as u64;
        let mut index = Vec::new();
        let mut left_out = 0;
        for i in 0..self.len() {
            let (file, e) = self.entry(i);
            if e.at_ms < from_ms || e.at_ms > to_ms {
                continue;
            }
            let Ok(bytes) = self.raw(file, e) else {
                left_out += 1;
                continue;
            };
            f.write_all(&bytes).map_err(|err| io(&tmp, "write", err))?;
            index.push(Entry { offset, ..e });
            offset += bytes.len() as u64;
        }
        for e in &index {
            f.write_all(&e.bytes())
                .map_err(|err| io(&tmp, "write", err))?;
        }
        f.write_all(&offset.to_le_bytes())
            .and_then(|_| f.write_all(TRAILER))
            .and_then(|_| f.sync_all())
            .map_err(|err| io(&tmp, "write", err))?;
        // Whole or not at all: the file appears under its name when complete.
        std::fs::rename(&tmp, out).map_err(|e| io(out, "create", e))?;
        Ok((index.len(), left_out))
    }
}
