pub mod checkpoint;
pub mod cosignature;
pub mod merkle;
pub mod note;
