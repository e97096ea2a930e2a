//! The supports of the labeling functions (the base rows each LF voted on), as the sweep needs
//! them: the union of all supports, and for each of its rows the *slots* that contain it.
//!
//! LFs with identical supports have identical nearest support points, so they share one slot
//! (50 LFs that all vote everywhere are one slot, and cost what one LF costs). Slots are found by
//! an order-independent hash of each support, then checked exactly.

use std::collections::HashMap;

use crate::cancel::Cancel;
use crate::error::CoreResult;
use crate::votes::Votes;

/// No slot: the LF's support is empty.
pub const NO_SLOT: u32 = u32::MAX;

/// A slot is *dense* when its support is at least this share of the union (`1 / DENSE_SHARE`).
const DENSE_SHARE: usize = 16;
/// The passes over the votes look at their cancellation token once per this many rows (a power
/// of two; at n = 1M, m = 100 a pass takes about half a second).
const CANCEL_ROWS: usize = 1 << 14;

/// The union of the supports and the slots containing each of its rows (CSR over the union).
#[derive(Debug)]
pub struct Supports {
    /// Base rows in the union, ascending.
    pub columns: Vec<u32>,
    starts: Vec<u32>,
    /// Per union row its slots, the sparse ones first.
    slots: Vec<u32>,
    /// Per union row, how many of its slots are sparse.
    sparse: Vec<u32>,
    /// For each LF, its slot (`NO_SLOT` for an empty support).
    pub lf_slot: Vec<u32>,
    /// For each slot, the size of its support.
    pub slot_sizes: Vec<usize>,
    /// For each slot, whether its support is at least 1/16 of the union (searches may screen
    /// dense slots together; sparse ones cost in proportion to their few rows).
    pub dense: Vec<bool>,
}

impl Supports {
    /// Reads the supports from `votes`; fails on a vote below -1 (`name` is used in the message).
    /// Stops with `CoreError::Cancelled` once `cancel` is set.
    pub fn build(name: &str, votes: &Votes<'_>, cancel: &Cancel) -> CoreResult<Supports> {
        let (n, m) = (votes.rows(), votes.cols());
        // Pass 1: each LF's support size and an order-independent hash of it.
        let mut counts = vec![0usize; m];
        let mut hashes = vec![0u64; m];
        let mut union = 0;
        for r in 0..n {
            if r % CANCEL_ROWS == 0 {
                cancel.check()?;
            }
            let h = mix(r as u64);
            let mut any = false;
            votes.for_each_vote(name, r, |j| {
                counts[j] += 1;
                hashes[j] = hashes[j].wrapping_add(h);
                any = true;
            })?;
            union += usize::from(any);
        }
        let mut representative: Vec<usize> = (0..m).collect();
        let mut seen: HashMap<(usize, u64), usize> = HashMap::new();
        for j in 0..m {
            if counts[j] > 0 {
                representative[j] = *seen.entry((counts[j], hashes[j])).or_insert(j);
            }
        }
        if !same_supports_within_groups(votes, &representative, &counts, cancel)? {
            // A hash collision (never seen in practice): fall back to one slot per LF.
            representative = (0..m).collect();
        }
        // Slots numbered in LF order of their representatives.
        let mut lf_slot = vec![NO_SLOT; m];
        let mut slot_sizes = Vec::new();
        for j in 0..m {
            if counts[j] == 0 {
                continue;
            }
            if representative[j] == j {
                lf_slot[j] = slot_sizes.len() as u32;
                slot_sizes.push(counts[j]);
            } else {
                lf_slot[j] = lf_slot[representative[j]];
            }
        }
        let dense: Vec<bool> = slot_sizes
            .iter()
            .map(|&s| s * DENSE_SHARE >= union)
            .collect();
        // Pass 2: the union and each row's slots (only representatives are listed), sparse first.
        let mut columns = Vec::with_capacity(union);
        let mut starts = vec![0u32];
        let mut slots = Vec::new();
        let mut sparse = Vec::with_capacity(union);
        let mut row_dense = Vec::new();
        for r in 0..n {
            if r % CANCEL_ROWS == 0 {
                cancel.check()?;
            }
            let before = slots.len();
            row_dense.clear();
            votes.for_each_vote(name, r, |j| {
                if representative[j] == j {
                    let g = lf_slot[j];
                    if dense[g as usize] {
                        row_dense.push(g);
                    } else {
                        slots.push(g);
                    }
                }
            })?;
            let sparse_count = slots.len() - before;
            slots.extend_from_slice(&row_dense);
            if slots.len() > before {
                columns.push(r as u32);
                starts.push(slots.len() as u32);
                sparse.push(sparse_count as u32);
            }
        }
        Ok(Supports {
            columns,
            starts,
            slots,
            sparse,
            lf_slot,
            slot_sizes,
            dense,
        })
    }

    pub fn n_slots(&self) -> usize {
        self.slot_sizes.len()
    }

    /// The slots containing the union row at `position`, the sparse ones first.
    #[inline(always)]
    pub fn of(&self, position: usize) -> &[u32] {
        &self.slots[self.starts[position] as usize..self.starts[position + 1] as usize]
    }

    /// The sparse slots containing the union row at `position`.
    #[inline(always)]
    pub fn sparse_of(&self, position: usize) -> &[u32] {
        let start = self.starts[position] as usize;
        &self.slots[start..start + self.sparse[position] as usize]
    }
}

/// splitmix64's finaliser: spreads row numbers over 64 bits so sums of them rarely collide.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// True when every LF's support equals its representative's. Members have the same support size
/// as their representative, so it suffices that wherever a representative votes, all its members
/// vote too.
fn same_supports_within_groups(
    votes: &Votes<'_>,
    representative: &[usize],
    counts: &[usize],
    cancel: &Cancel,
) -> CoreResult<bool> {
    let m = representative.len();
    let mut group_size = vec![0usize; m];
    for j in 0..m {
        if counts[j] > 0 {
            group_size[representative[j]] += 1;
        }
    }
    if group_size.iter().all(|&s| s <= 1) {
        return Ok(true);
    }
    let mut present_in_row = vec![0usize; m];
    let mut touched = Vec::new();
    for r in 0..votes.rows() {
        if r % CANCEL_ROWS == 0 {
            cancel.check()?;
        }
        let mut ok = true;
        // Votes were validated in pass 1; errors cannot occur here.
        let _ = votes.for_each_vote("", r, |j| {
            let rep = representative[j];
            if present_in_row[rep] == 0 {
                touched.push(rep);
            }
            present_in_row[rep] += 1;
        });
        for &rep in &touched {
            // Only rows where the representative itself votes are checked: a member voting
            // where the representative does not would give the member a larger support.
            let rep_votes = votes.get(r, rep) != crate::ABSTAIN;
            if rep_votes && present_in_row[rep] != group_size[rep] {
                ok = false;
            }
            present_in_row[rep] = 0;
        }
        touched.clear();
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_build_returns_cancelled() {
        let data: Vec<i64> = (0..3 * CANCEL_ROWS).map(|r| (r % 3) as i64 - 1).collect();
        let v = Votes::dense("L", &data[..], CANCEL_ROWS, 3).unwrap();
        let set = Cancel::new();
        set.cancel();
        let err = Supports::build("L", &v, &set).unwrap_err();
        assert_eq!(err, crate::error::CoreError::Cancelled);
        let built = Supports::build("L", &v, &Cancel::new()).unwrap();
        assert_eq!(
            built.columns,
            Supports::build("L", &v, Cancel::never()).unwrap().columns
        );
    }

    #[test]
    fn identical_supports_share_a_slot() {
        // LF 0 and 2 vote on rows 0 and 2 (different classes); LF 1 on row 1; LF 3 never.
        let votes = [0i64, -1, 1, -1, -1, 0, -1, -1, 1, -1, 0, -1];
        let v = Votes::dense("L", &votes[..], 3, 4).unwrap();
        let s = Supports::build("L", &v, Cancel::never()).unwrap();
        assert_eq!(s.columns, vec![0, 1, 2]);
        assert_eq!(s.lf_slot, vec![0, 1, 0, NO_SLOT]);
        assert_eq!(s.slot_sizes, vec![2, 1]);
        assert_eq!(s.of(0), &[0]);
        assert_eq!(s.of(1), &[1]);
        assert_eq!(s.of(2), &[0]);
        assert_eq!(s.dense, vec![true, true]);
        assert!(s.sparse_of(1).is_empty());
    }

    #[test]
    fn sparse_slots_come_first() {
        // 40 rows; LF 0 votes on all, LF 1 on row 5 only (1/40 < 1/16: sparse).
        let mut votes = vec![-1i64; 80];
        for r in 0..40 {
            votes[r * 2] = 0;
        }
        votes[5 * 2 + 1] = 1;
        let v = Votes::dense("L", &votes[..], 40, 2).unwrap();
        let s = Supports::build("L", &v, Cancel::never()).unwrap();
        assert_eq!(s.dense, vec![true, false]);
        assert_eq!(s.of(5), &[1, 0]);
        assert_eq!(s.sparse_of(5), &[1]);
        assert!(s.sparse_of(4).is_empty());
    }

    #[test]
    fn same_size_different_supports_stay_apart() {
        let votes = [0i64, -1, -1, 0];
        let v = Votes::dense("L", &votes[..], 2, 2).unwrap();
        let s = Supports::build("L", &v, Cancel::never()).unwrap();
        assert_eq!(s.lf_slot, vec![0, 1]);
        // A forced collision: the exact check rejects the grouping.
        let never = Cancel::never();
        assert_eq!(
            same_supports_within_groups(&v, &[0, 0], &[1, 1], never),
            Ok(false)
        );
    }
}
