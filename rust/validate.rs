//! Cheap parallel scans that input validation needs on large arrays (no temporaries).

use rayon::prelude::*;

use crate::threads::run_in_pool;

const CHUNK: usize = 1 << 16;

/// Flat index of the first NaN or infinite value, if any.
pub fn first_non_finite(data: &[f32], threads: usize) -> Option<usize> {
    run_in_pool(threads, || {
        data.par_chunks(CHUNK)
            .enumerate()
            .find_map_first(|(c, chunk)| {
                // Branch-free scan first: almost every chunk is clean.
                if chunk.iter().all(|v| v.is_finite()) {
                    None
                } else {
                    chunk
                        .iter()
                        .position(|v| !v.is_finite())
                        .map(|p| c * CHUNK + p)
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_bad_value() {
        let mut data = vec![1.0f32; 3 * CHUNK + 5];
        assert_eq!(first_non_finite(&data, 2), None);
        data[CHUNK + 7] = f32::INFINITY;
        data[2 * CHUNK] = f32::NAN;
        assert_eq!(first_non_finite(&data, 2), Some(CHUNK + 7));
        assert_eq!(first_non_finite(&[], 1), None);
    }
}
