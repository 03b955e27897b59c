//! `--record FILE`: the raw control stream (the bytes tmux wrote, unchanged) saved for bug
//! reports. `muxlink replay FILE` reads such a file back through the session model.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes every byte received from tmux to a file, in order.
///
/// Writes are buffered (64 KiB) and flushed when the stream ends, when [`Recorder::flush`] is
/// called and on drop. A failed write does not stop the client: the recorder turns itself
/// off and keeps the error for [`Recorder::error`].
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    written: u64,
    error: Option<io::Error>,
}

impl Recorder {
    /// Creates (or truncates) the file.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::create(&path)?;
        Ok(Recorder {
            path,
            out: Some(BufWriter::with_capacity(64 * 1024, file)),
            written: 0,
            error: None,
        })
    }

    /// Appends bytes as received. Costs a copy into the buffer.
    pub fn record(&mut self, bytes: &[u8]) {
        if let Some(out) = self.out.as_mut() {
            match out.write_all(bytes) {
                Ok(()) => self.written += bytes.len() as u64,
                Err(e) => {
                    self.error = Some(e);
                    self.out = None;
                }
            }
        }
    }

    /// Flushes buffered bytes to the file.
    pub fn flush(&mut self) {
        if let Some(out) = self.out.as_mut() {
            if let Err(e) = out.flush() {
                self.error = Some(e);
                self.out = None;
            }
        }
    }

    /// Bytes recorded so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The write error that turned the recorder off, if any.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_bytes_in_order() {
        let dir = std::env::temp_dir().join(format!("muxlink-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("r.bin");
        {
            let mut r = Recorder::create(&p).unwrap();
            r.record(b"%begin 1 2 0\n");
            r.record(b"%end 1 2 0\n\x00\xff");
            assert_eq!(r.written(), 26);
        }
        assert_eq!(
            std::fs::read(&p).unwrap(),
            b"%begin 1 2 0\n%end 1 2 0\n\x00\xff"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
