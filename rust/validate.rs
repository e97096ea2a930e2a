//! Cheap parallel scans that input validation needs on large arrays (no temporaries).

use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::error::CoreResult;
use crate::threads::run_in_pool;

const CHUNK: usize = 1 << 16;

/// Flat index of the first NaN or infinite value, if any. Stops with `CoreError::Cancelled` once
/// `cancel` is set (checked per chunk of 64k values; the scan reads the whole array, seconds for
/// tens of GB).
pub fn first_non_finite(
    data: &[f32],
    threads: usize,
    cancel: &Cancel,
) -> CoreResult<Option<usize>> {
    let found = run_in_pool(threads, || {
        data.par_chunks(CHUNK)
            .enumerate()
            .find_map_first(|(c, chunk)| {
                if cancel.is_cancelled() {
                    // Stops the search; the caller reports the cancellation, not this value.
                    return Some(usize::MAX);
                }
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
    });
    cancel.check()?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_bad_value() {
        let mut data = vec![1.0f32; 3 * CHUNK + 5];
        assert_eq!(first_non_finite(&data, 2, Cancel::never()).unwrap(), None);
        data[CHUNK + 7] = f32::INFINITY;
        data[2 * CHUNK] = f32::NAN;
        assert_eq!(
            first_non_finite(&data, 2, Cancel::never()).unwrap(),
            Some(CHUNK + 7)
        );
        assert_eq!(first_non_finite(&[], 1, Cancel::never()).unwrap(), None);
        let unset = first_non_finite(&data, 2, &Cancel::new());
        assert_eq!(unset, Ok(Some(CHUNK + 7)));
        let set = Cancel::new();
        set.cancel();
        let cancelled = first_non_finite(&data, 2, &set);
        assert_eq!(cancelled, Err(crate::error::CoreError::Cancelled));
    }
}
