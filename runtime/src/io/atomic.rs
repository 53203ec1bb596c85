//! Atomic file replacement: write a temporary file in the target's directory, fsync it, rename it
//! over the target, fsync the directory.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes a file atomically: `write` fills a fresh temporary file `.<name>.<pid>.<n>.tmp` in the
/// target's directory; the file is fsynced, renamed over `path` and the directory fsynced (where the
/// platform allows). Readers see the old file or the new one, never a mix, and a crash leaves at
/// worst a stray temporary file.
///
/// When `write` (or any later step) fails, the temporary file is removed and `path` is untouched.
/// The new file gets default permissions, not the replaced file's.
///
/// ```
/// use fusenet_runtime::io::write_atomic;
/// use std::io::Write;
/// let path = std::env::temp_dir().join(format!("fusenet-atomic-doc-{}.txt", std::process::id()));
/// write_atomic(&path, |f| f.write_all(b"epoch 1"))?;
/// let failed = write_atomic(&path, |f| {
///     f.write_all(b"half a")?;
///     Err(std::io::Error::other("disk on fire"))
/// });
/// assert!(failed.is_err());
/// assert_eq!(std::fs::read(&path).unwrap(), b"epoch 1");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), fusenet_runtime::Error>(())
/// ```
pub fn write_atomic(path: impl AsRef<Path>, write: impl FnOnce(&mut File) -> std::io::Result<()>) -> Result<()> {
    let path = path.as_ref();
    let Some(name) = path.file_name() else {
        return Err(Error::format(path, "is not a file path (it has no file name)"));
    };
    if path.is_dir() {
        return Err(Error::format(path, "is a directory; refusing to write a file over it"));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (mut file, mut temp) = create_temp(dir, &name.to_string_lossy()).map_err(|e| Error::io(path, e))?;
    write(&mut file).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    drop(file);
    std::fs::rename(&temp.path, path).map_err(|e| Error::io(path, e))?;
    temp.persisted = true;
    sync_dir(dir);
    Ok(())
}

/// A temporary file that is removed when dropped, unless it was renamed into place.
struct Temp {
    path: PathBuf,
    persisted: bool,
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn create_temp(dir: &Path, name: &str) -> std::io::Result<(File, Temp)> {
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, Temp { path, persisted: false })),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Makes the rename durable: fsync the directory. Best effort: some platforms and file systems
/// cannot open or sync a directory, and the rename itself has already happened.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
