//! Optimisers and learning-rate schedulers. (Owner: optim helper.)
