//! Files only their owner reads: the audit log (who claimed or requeued
//! what), recordings and their index (an incident's figures and key names),
//! exports, and the SSH control directory with ssh's log of the bastion
//! login. Created 0600 (files) and 0700 (directories) whatever the umask,
//! on a shared bastion as much as on a laptop. An existing one that others
//! can read is left as it is and said once (`warnings`), as the profile
//! file's check does.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Create `dir` and its missing parents, user-only.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Open `path` to append (created user-only when new).
pub fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// Open `path` to append and read (created user-only when new).
pub fn append_read(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .mode(0o600)
        .open(path)
}

/// Create (or truncate) `path`, user-only.
pub fn create(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

/// Whether others (group or world) may read `path`; `None` when it is not there.
pub fn shared(path: &Path) -> Option<u32> {
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o044 != 0).then_some(mode & 0o777)
}

/// A warning for each of `paths` (and the files directly in the directories
/// among them) that others can read.
pub fn warnings(what: &str, paths: &[&Path]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        let mut all = vec![p.to_path_buf()];
        if p.is_dir() {
            all.extend(
                std::fs::read_dir(p)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path()),
            );
        }
        if let Some((f, mode)) = all.iter().find_map(|f| Some((f, shared(f)?))) {
            out.push(format!(
                "warning: {what} {} is readable by other users (mode {mode:o}); run chmod -R go-rwx {}",
                f.display(),
                p.display()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under the usual umask 022, what redeye creates is 0600 / 0700.
    #[test]
    fn created_user_only_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("a/b");
        create_dir(&d).unwrap();
        let f = d.join("log");
        drop(append(&f).unwrap());
        let g = d.join("out");
        drop(create(&g).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&d), 0o700);
        assert_eq!((mode(&f), mode(&g)), (0o600, 0o600));
        assert!(warnings("the audit log", &[&f]).is_empty());
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let w = warnings("the audit log", &[&d]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("readable by other users (mode 644)"), "{w:?}");
    }
}
