//! Datasets and data loading. (Owner: data helper.)
