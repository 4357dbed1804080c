//! The shared strings table (`xl/sharedStrings.xml`): the count of strings it declares,
//! held to what the part can actually contain.
//!
//! calamine reserves room for as many strings as `<sst uniqueCount="N">` declares before
//! reading one, so a table a few hundred bytes long that claims four billion strings
//! aborts the process on a failed allocation. Every shared string takes some bytes of
//! the part, so a count beyond what its size allows can only be a lie. Any `<sst>` in any
//! part is held to this, whatever the part's name: calamine finds the table through
//! relationships an attacker writes.

use super::scan::{attrs, leading_number, local_name};
use super::{Refusal, quoted};
use crate::rejection::Rule;

/// Fewest bytes of `sharedStrings.xml` one declared shared string is taken to need (the
/// smallest, `<si><t/></si>`, takes 12). A table declaring more strings than its size
/// allows is lying, and calamine reserves room for what it declares.
const SST_BYTES_PER_STRING: u64 = 4;

/// The `uniqueCount` of an `<sst>` element (attributes `raw_attrs`), against the
/// `part_len` bytes of its part.
pub(super) fn check_unique_count(raw_attrs: &[u8], part_len: usize) -> Result<(), Refusal> {
    for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
        if local_name(key) == b"uniqueCount" {
            let declared = leading_number(value);
            if declared.saturating_mul(SST_BYTES_PER_STRING) > part_len as u64 {
                return Err(Refusal::new(
                    Rule::TooLarge,
                    format!(
                        "共享字符串表声明有 {} 个字符串，但其内容只有 {part_len} 字节，文件已被篡改",
                        quoted(value)
                    ),
                    format!(
                        "the shared strings table declares {} shared strings but is only {part_len} bytes long; the file is forged",
                        quoted(value)
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
