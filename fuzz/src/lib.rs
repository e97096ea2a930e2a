//! Shared parts of the fuzz targets: decoding fuzz bytes into inputs of the core (`input`) and
//! brute-force references the results must equal bit for bit (`reference`).

pub mod input;
pub mod reference;
