//! Ascending lists of dense ids (posting lists), kept sorted as documents come and go.

pub(crate) fn insert_sorted(list: &mut Vec<u32>, id: u32) {
    // Fast path: new dense ids are usually the largest (bulk loads append).
    if list.last().is_none_or(|&last| last < id) {
        list.push(id);
        return;
    }
    if let Err(pos) = list.binary_search(&id) {
        list.insert(pos, id);
    }
}

pub(crate) fn remove_sorted(list: &mut Vec<u32>, id: u32) {
    if let Ok(pos) = list.binary_search(&id) {
        list.remove(pos);
    }
}
