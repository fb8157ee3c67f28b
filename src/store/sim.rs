//! A simulated disk for redb: an in-memory [`redb::StorageBackend`] that
//! can fail I/O and crash, as SQLite's test VFS and redb's own fuzzer do.
//! Used by the storage-fault tests and the `store_crash` fuzz target to
//! run the engine's store over faults a real disk produces only rarely.
//! Nothing in the server uses it.
//!
//! The disk keeps what reads see, what is durable (as of the last sync),
//! and the writes since that sync in order. A crash keeps the durable
//! image plus any subset of the unsynced writes (a real disk may write
//! back any of them, in any order, before power is lost), and cuts off
//! every backend opened before it: their later operations fail, so a
//! database left over from before the crash cannot touch the new image.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redb::StorageBackend;

#[derive(Clone, Default)]
pub struct SimDisk {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    current: Vec<u8>,
    durable: Vec<u8>,
    unsynced: Vec<Pending>,
    /// Bumped by each crash; a backend of an older epoch is cut off.
    epoch: u64,
    fail_writes: bool,
    fail_reads: bool,
    /// How long each read takes (a slow or busy disk).
    read_delay: Option<Duration>,
    /// Reads served so far.
    reads: u64,
    /// Backend operations until an automatic crash, when armed.
    crash_in: Option<(u64, u64)>,
}

enum Pending {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

/// What a crash keeps of the writes since the last sync: bit `i % 64` of
/// the mask keeps the `i`-th.
#[derive(Clone, Copy, Debug)]
pub struct Keep(pub u64);

impl SimDisk {
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A backend for one database open, valid until the next crash.
    pub fn backend(&self) -> SimBackend {
        SimBackend {
            disk: self.clone(),
            epoch: self.lock().epoch,
        }
    }

    /// While true, every write, `set_len` and sync fails with `EIO`.
    pub fn fail_writes(&self, on: bool) {
        self.lock().fail_writes = on;
    }

    /// While true, every read fails with `EIO`.
    pub fn fail_reads(&self, on: bool) {
        self.lock().fail_reads = on;
    }

    /// While set, every read takes this long (a slow disk). The wait
    /// holds no lock: reads from several threads overlap, as on a disk
    /// with a queue.
    pub fn slow_reads(&self, delay: Option<Duration>) {
        self.lock().read_delay = delay;
    }

    /// How many reads the disk has served.
    pub fn reads(&self) -> u64 {
        self.lock().reads
    }

    /// Crashes now: see the module doc.
    pub fn crash(&self, keep: Keep) {
        self.lock().crash(keep);
    }

    /// Crashes automatically after `ops` more backend operations, keeping
    /// `keep` of the unsynced writes; the operation that crashes fails.
    pub fn crash_after(&self, ops: u64, keep: Keep) {
        self.lock().crash_in = Some((ops, keep.0));
    }

    /// How many crashes happened so far (called or armed).
    pub fn crashes(&self) -> u64 {
        self.lock().epoch
    }

    /// Disarms an automatic crash that has not happened yet.
    pub fn disarm(&self) {
        self.lock().crash_in = None;
    }

    /// Bytes currently on the disk.
    pub fn len(&self) -> u64 {
        self.lock().current.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl State {
    fn crash(&mut self, keep: Keep) {
        let mut image = std::mem::take(&mut self.durable);
        for (i, p) in std::mem::take(&mut self.unsynced).into_iter().enumerate() {
            match p {
                Pending::SetLen(len) => image.resize(len as usize, 0),
                Pending::Write(offset, data) if keep.0 >> (i % 64) & 1 == 1 => {
                    write_at(&mut image, offset, &data)
                }
                Pending::Write(..) => {}
            }
        }
        self.current = image.clone();
        self.durable = image;
        self.epoch += 1;
    }

    /// Counts one operation of a backend of `epoch`; fails it when that
    /// backend was cut off by a crash, or when this operation crashes.
    fn enter(&mut self, epoch: u64) -> io::Result<()> {
        if epoch != self.epoch {
            return Err(io::Error::other("simulated crash: this open ended"));
        }
        if let Some((left, keep)) = self.crash_in {
            if left == 0 {
                self.crash_in = None;
                self.crash(Keep(keep));
                return Err(io::Error::other("simulated crash"));
            }
            self.crash_in = Some((left - 1, keep));
        }
        Ok(())
    }
}

fn write_at(image: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let end = offset as usize + data.len();
    if image.len() < end {
        image.resize(end, 0);
    }
    image[offset as usize..end].copy_from_slice(data);
}

fn eio() -> io::Error {
    io::Error::from_raw_os_error(5)
}

/// One open of a [`SimDisk`].
#[derive(Debug)]
pub struct SimBackend {
    disk: SimDisk,
    epoch: u64,
}

impl std::fmt::Debug for SimDisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimDisk({} bytes)", self.len())
    }
}

type R<T> = io::Result<T>;

impl StorageBackend for SimBackend {
    fn len(&self) -> R<u64> {
        let mut s = self.disk.lock();
        s.enter(self.epoch)?;
        Ok(s.current.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> R<()> {
        let delay = self.disk.lock().read_delay;
        if let Some(d) = delay {
            std::thread::sleep(d);
        }
        let mut s = self.disk.lock();
        s.enter(self.epoch)?;
        s.reads += 1;
        if s.fail_reads {
            return Err(eio());
        }
        let end = offset as usize + out.len();
        if end > s.current.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end",
            ));
        }
        out.copy_from_slice(&s.current[offset as usize..end]);
        Ok(())
    }

    fn set_len(&self, len: u64) -> R<()> {
        let mut s = self.disk.lock();
        s.enter(self.epoch)?;
        if s.fail_writes {
            return Err(eio());
        }
        s.current.resize(len as usize, 0);
        s.unsynced.push(Pending::SetLen(len));
        Ok(())
    }

    fn sync_data(&self) -> R<()> {
        let mut s = self.disk.lock();
        s.enter(self.epoch)?;
        if s.fail_writes {
            return Err(eio());
        }
        s.durable = s.current.clone();
        s.unsynced.clear();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> R<()> {
        let mut s = self.disk.lock();
        s.enter(self.epoch)?;
        if s.fail_writes {
            return Err(eio());
        }
        write_at(&mut s.current, offset, data);
        s.unsynced.push(Pending::Write(offset, data.to_vec()));
        Ok(())
    }
}
