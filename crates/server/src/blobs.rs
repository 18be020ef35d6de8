//! Content-addressed blob storage (PDF bytes named by their SHA-256): the local
//! filesystem by default, any S3-API object store for larger deployments.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found")]
    NotFound,
    #[error("blob store io: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    Object(#[from] object_store::Error),
    #[error("bad blob store url {0:?}: expected s3://BUCKET[?endpoint=URL&region=R]")]
    BadUrl(String),
}

/// Where blob bytes live. Names are lower-case hex SHA-256; a blob is written
/// once and never changes, so `put` of an existing name is a no-op.
pub trait BlobStore: Send + Sync {
    fn put(&self, sha256: &str, bytes: Bytes) -> BoxFuture<'_, Result<(), BlobError>>;
    /// The bytes of `range` (the whole blob when `None`).
    fn get(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, Result<Bytes, BlobError>>;
}

/// Blobs as files `DIR/ab/abcdef...`.
pub struct LocalBlobs {
    dir: PathBuf,
}

impl LocalBlobs {
    pub fn new(dir: PathBuf) -> Self {
        LocalBlobs { dir }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }
}

impl BlobStore for LocalBlobs {
    fn put(&self, sha256: &str, bytes: Bytes) -> BoxFuture<'_, Result<(), BlobError>> {
        let path = self.path(sha256);
        Box::pin(async move {
            if tokio::fs::try_exists(&path).await? {
                return Ok(());
            }
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            // Write aside and rename, so a reader never sees a half-written blob.
            let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
            tokio::fs::write(&tmp, &bytes).await?;
            tokio::fs::rename(&tmp, &path).await?;
            Ok(())
        })
    }

    fn get(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, Result<Bytes, BlobError>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let path = self.path(sha256);
        Box::pin(async move {
            let mut f = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(BlobError::NotFound)
                }
                Err(e) => return Err(e.into()),
            };
            match range {
                None => {
                    let mut buf = Vec::new();
                    f.read_to_end(&mut buf).await?;
                    Ok(buf.into())
                }
                Some(r) => {
                    f.seek(std::io::SeekFrom::Start(r.start)).await?;
                    let len = usize::try_from(r.end - r.start).unwrap_or(usize::MAX);
                    let mut buf = vec![0; len];
                    f.read_exact(&mut buf).await?;
                    Ok(buf.into())
                }
            }
        })
    }
}

/// Blobs in an S3-API bucket, as objects `blobs/<sha256>`.
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
}

impl S3Blobs {
    /// `s3://BUCKET?endpoint=http://host:port&region=us-east-1`; credentials
    /// come from the usual `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    pub fn from_url(url: &str) -> Result<Self, BlobError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| BlobError::BadUrl(url.to_owned()))?;
        let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains('/') {
            return Err(BlobError::BadUrl(url.to_owned()));
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let mut region_set = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| BlobError::BadUrl(url.to_owned()))?;
            match k {
                "endpoint" => {
                    b = b
                        .with_endpoint(v)
                        .with_allow_http(v.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                "region" => {
                    region_set = true;
                    b = b.with_region(v);
                }
                _ => return Err(BlobError::BadUrl(url.to_owned())),
            }
        }
        if !region_set {
            b = b.with_region("us-east-1");
        }
        Ok(S3Blobs {
            store: Arc::new(b.build()?),
        })
    }

    fn key(sha256: &str) -> ObjectPath {
        ObjectPath::from(format!("blobs/{sha256}"))
    }
}

impl BlobStore for S3Blobs {
    fn put(&self, sha256: &str, bytes: Bytes) -> BoxFuture<'_, Result<(), BlobError>> {
        let key = Self::key(sha256);
        Box::pin(async move {
            self.store.put(&key, PutPayload::from(bytes)).await?;
            Ok(())
        })
    }

    fn get(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, Result<Bytes, BlobError>> {
        let key = Self::key(sha256);
        Box::pin(async move {
            let opts = GetOptions {
                range: range.map(GetRange::Bounded),
                ..Default::default()
            };
            match self.store.get_opts(&key, opts).await {
                Ok(r) => Ok(r.bytes().await?),
                Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// Opens the blob store named by `--blob-store` (an `s3://` URL), or the
/// local directory when none is given.
pub fn open(url: Option<&str>, local_dir: PathBuf) -> Result<Arc<dyn BlobStore>, BlobError> {
    match url {
        None => Ok(Arc::new(LocalBlobs::new(local_dir))),
        Some(u) if u.starts_with("s3://") => Ok(Arc::new(S3Blobs::from_url(u)?)),
        Some(u) if u.starts_with("file://") => Ok(Arc::new(LocalBlobs::new(PathBuf::from(
            &u["file://".len()..],
        )))),
        Some(u) => Err(BlobError::BadUrl(u.to_owned())),
    }
}
